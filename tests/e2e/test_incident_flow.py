"""The product end to end: /incident -> session -> live thread -> Approve/Reject -> merge (or not)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from blocks.ids import ActionId
from blocks.limits import check_message
from bot.demo import start_world

from tests.e2e.conftest import BYSTANDER, FIXTURES, ONCALL, YOU
from tests.e2e.helpers import (
    block_text, buttons, local_prs, open_incident, reject, result_json, sent_events, thread, wait_for_card,
)

TIMEOUT = 60


async def _finish(run, timeout: float = TIMEOUT) -> None:
    await run.wait_finished(timeout=timeout)


@pytest.mark.parametrize(
    ("incident", "fixed_file", "fixed_text"),
    [
        ("checkout-oom", "k8s/checkout/deployment.yaml", "512Mi"),
        ("incident-2277", None, None),
    ],
)
async def test_approved_fix_is_merged_into_the_repository(incident, fixed_file, fixed_text, work_dir: Path):
    world = await start_world(incident_dir=FIXTURES / incident, work_dir=work_dir)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout is on fire")
        card = await wait_for_card(world, root_ts)
        assert {b["text"]["text"] for b in buttons(card)} >= {"Approve", "Reject"} or any(
            "Approve" in b["text"]["text"] for b in buttons(card)
        )
        # The thread shows the investigation before the card: the offline investigator says what it is.
        before = "\n".join(block_text(m) for m in thread(world, root_ts))
        assert "not Claude" in before or "offline" in before.lower()
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await _finish(run)

        results = sent_events(world, run.session_id, "user.custom_tool_result")
        decisions = [result_json(e) for e in results if "decision" in result_json(e)]
        assert [d["decision"] for d in decisions] == ["approved"] and decisions[0]["approver"] == YOU
        merged = [n for n in run.state.prs if await world.bot.prs.is_merged(run.session_id, n)]
        assert merged == [run.state.latest_pr.number]
        repo = local_prs(world).repo_path(run.session_id)
        if fixed_file:
            assert fixed_text in (repo / fixed_file).read_text()
        # The card was updated in place: decision and decider shown, no buttons left.
        decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
        assert not buttons(decided)
        assert "Approved" in block_text(decided) and f"<@{YOU}>" in block_text(decided)
        for msg in thread(world, root_ts):
            assert not check_message(_as_message(msg)), check_message(_as_message(msg))
    finally:
        await world.stop()


def _as_message(msg):
    from blocks.message import Message

    return Message(text=msg.get("text", ""), blocks=msg.get("blocks") or [])


async def test_rejected_fix_is_not_merged(world):
    root_ts, run = await open_incident(world, YOU, "checkout pods keep restarting")
    card = await wait_for_card(world, root_ts)
    await reject(world, YOU, card["ts"], "512Mi is too much for this node pool")
    await _finish(run)
    assert not [n for n in run.state.prs if await world.bot.prs.is_merged(run.session_id, n)]
    assert not [c for c in world.agents.requests if c.path.endswith("/events") and "merge_pull_request" in str(c.json)]
    decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
    assert "Rejected" in block_text(decided) and not buttons(decided)
    assert "512Mi is too much for this node pool" in block_text(decided)
    [decision] = [result_json(e) for e in sent_events(world, run.session_id, "user.custom_tool_result") if "decision" in result_json(e)]
    assert decision["reason"] == "512Mi is too much for this node pool"  # the agent reads why


async def test_a_non_approver_click_is_refused_and_sends_nothing(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await world.slack.click(BYSTANDER, ONCALL, card["ts"], ActionId.APPROVE)
    await world.slack.wait_for(lambda s: bool(s.ephemerals(BYSTANDER)), timeout=TIMEOUT)
    assert "approver" in str(world.slack.ephemerals(BYSTANDER)[-1]).lower()
    assert not [e for e in sent_events(world, run.session_id, "user.custom_tool_result") if "decision" in result_json(e)]
    still = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
    assert buttons(still), "the card must stay decidable by an approver"
    assert not world.slack.views.modals(BYSTANDER), "a non-approver gets no form either"
    await world.slack.click(BYSTANDER, ONCALL, card["ts"], ActionId.REJECT)
    await world.slack.wait_for(lambda s: len(s.ephemerals(BYSTANDER)) >= 2, timeout=TIMEOUT)
    assert not world.slack.views.modals(BYSTANDER)
    await reject(world, YOU, card["ts"])
    await _finish(run)


async def test_a_double_click_sends_one_decision(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await asyncio.gather(
        world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE),
        world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE),
        world.slack.click(YOU, ONCALL, card["ts"], ActionId.REJECT),
    )
    await _finish(run)
    decisions = [result_json(e) for e in sent_events(world, run.session_id, "user.custom_tool_result")]
    assert len([d for d in decisions if "decision" in d]) == 1
    await world.slack.wait_for(lambda s: len(s.ephemerals(YOU)) >= 1, timeout=TIMEOUT)
    assert all("already decided" in str(e).lower() or "first" in str(e).lower() for e in world.slack.ephemerals(YOU))
    late = world.slack.views.modals(YOU)  # the Reject click opened a form; submitting it late changes nothing
    if late:
        await world.slack.submit_view(YOU, late[-1]["id"], {"reason": {"reason_input": {"type": "plain_text_input", "value": "late"}}})
        await world.slack.wait_for(lambda s: len(s.ephemerals(YOU)) >= 2, timeout=TIMEOUT)
    assert len([d for d in decisions if "decision" in d]) == 1
