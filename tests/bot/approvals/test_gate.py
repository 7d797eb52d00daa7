"""The approval gate: one decision per card and the first click wins, refusals in words with nothing sent, expiry,
held tool calls, Stop. Clicks go straight to the router and the gate (no Slack envelope); the bot, its sessions and
its Slack thread are real, against the stand-ins."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from blocks.ids import ActionId, ButtonValue, decode_button_value
from blocks.views import Outcome
from bot.approvals.clicks import Click
from bot.demo import LEAD, DemoWorld, start_world
from bot.run.incident import IncidentRun
from bot.words import ItemKind

from tests.e2e.conftest import ALERTS, BYSTANDER, FIXTURES, ONCALL, YOU
from tests.e2e.helpers import buttons, open_incident, result_json, sent_events, thread, wait_for_card

TIMEOUT = 60
SENT_NOTHING = "Nothing was sent."


def _value(card: dict[str, Any], action: ActionId) -> ButtonValue:
    return decode_button_value(next(b["value"] for b in buttons(card) if b["action_id"] == action))


def _click(user: str, action: ActionId, value: ButtonValue, card_ts: str, *, channel: str = ONCALL, reason: str = "") -> Click:
    return Click(user, action, value, channel, card_ts, reason=reason)


def _posted_answers(world: DemoWorld, session_id: str, tool_use_id: str) -> list[dict[str, Any]]:
    """Every answer to one call the bot POSTed, whether the session took it or not."""
    return [e for r in world.agents.requests if r.method == "POST" and r.path == f"/v1/sessions/{session_id}/events"
            for e in (r.json or {}).get("events", []) if e.get("custom_tool_use_id") == tool_use_id]  # fmt: skip


def _decisions(world: DemoWorld, session_id: str) -> list[dict[str, Any]]:
    return [result_json(e) for e in sent_events(world, session_id, "user.custom_tool_result") if "decision" in result_json(e)]


async def _closed(world: DemoWorld, root_ts: str, card_ts: str) -> None:
    """Wait until the card shows a decision (its buttons gone): the bot has folded the answer in."""
    await world.slack.wait_for(
        lambda s: not buttons(next(m for m in thread(world, root_ts) if m["ts"] == card_ts)), timeout=TIMEOUT
    )


async def _pending_card(world: DemoWorld) -> tuple[IncidentRun, dict[str, Any], ButtonValue]:
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await run.wait_live(timeout=TIMEOUT)
    return run, card, _value(card, ActionId.APPROVE)


def _audit(world: DemoWorld) -> list[tuple[str, str | None]]:
    path = world.settings.audit_log
    return [(r["action"], r["who"]) for r in map(json.loads, path.read_text().splitlines())] if path.exists() else []


async def test_the_first_click_wins_and_every_other_is_told_who_decided(world: DemoWorld) -> None:
    run, card, value = await _pending_card(world)
    clicks = [_click(YOU, ActionId.APPROVE, value, card["ts"]), _click(LEAD, ActionId.REJECT, value, card["ts"]),
              _click(YOU, ActionId.APPROVE, value, card["ts"]), _click(LEAD, ActionId.APPROVE, value, card["ts"])]
    answers = await asyncio.gather(*(world.bot.clicks.decide(c) for c in clicks))

    assert answers.count(None) == 1, answers
    winner = clicks[answers.index(None)]
    [decision] = _decisions(world, run.session_id)
    said = f"Already decided by <@{winner.user_id}>: {decision['decision']}. {SENT_NOTHING}"
    assert [a for a in answers if a is not None] == [said] * 3  # and truly nothing: one answer was ever POSTed
    assert len(_posted_answers(world, run.session_id, value.tool_use_id)) == 1
    assert (decision["decision"], decision["approver"]) == (
        "approved" if winner.action is ActionId.APPROVE else "rejected", winner.user_id)
    assert decision["pr_number"] == value.pr_number and decision["diff_sha256"] == value.diff_sha256
    assert "expired" not in decision  # only a timeout says so

    await _closed(world, run.thread.ts, card["ts"])
    late = await run.gate.approve(_click(LEAD, ActionId.APPROVE, value, card["ts"]))
    assert late == f"Already decided by <@{winner.user_id}>: {decision['decision']}. {SENT_NOTHING}"
    assert _decisions(world, run.session_id) == [decision]
    assert (_audit(world))[0] == (decision["decision"], winner.user_id)


async def test_a_click_that_cannot_decide_says_why_and_sends_nothing(world: DemoWorld) -> None:
    run, card, value = await _pending_card(world)
    root_ts = run.thread.ts
    router = world.bot.clicks
    elsewhere = value.model_copy(update={"session_id": "sesn_not_followed"})
    unknown_call = value.model_copy(update={"tool_use_id": "sevt_not_a_call"})
    changed = value.model_copy(update={"diff_sha256": "0" * 64})
    refusals = {
        "non-approver": (_click(BYSTANDER, ActionId.APPROVE, value, card["ts"]),
                         f"Only approvers can decide this (<!subteam^S0SRE>). {SENT_NOTHING}"),
        "not followed": (_click(YOU, ActionId.APPROVE, elsewhere, card["ts"]),
                         "This button belongs to an incident this bot is not following (unknown or finished)."),
        "unknown call": (Click(YOU, ActionId.APPROVE, unknown_call, ONCALL, card["ts"], thread_ts=root_ts),
                         f"This approval request is unknown to the incident. {SENT_NOTHING}"),
        "other thread": (_click(YOU, ActionId.APPROVE, value, card["ts"], channel=ALERTS),
                         f"This button does not belong to this incident's thread. {SENT_NOTHING}"),
        "diff changed": (_click(YOU, ActionId.APPROVE, changed, card["ts"]),
                         f"PR #{value.pr_number} changed since this card was posted; its diff is not the one shown. "
                         "Reject it, or ask the agent to request approval again."),
        "stop, non-approver": (_click(BYSTANDER, ActionId.STOP, value, root_ts),
                               f"Only approvers can stop the agent (<!subteam^S0SRE>). {SENT_NOTHING}"),
        "stop on a card": (_click(YOU, ActionId.STOP, value, card["ts"]),
                           f"This Stop button does not belong to an incident this bot is following. {SENT_NOTHING}"),
    }  # fmt: skip
    for name, (click, refusal) in refusals.items():
        assert await router.decide(click) == refusal, name

    assert not _decisions(world, run.session_id) and not sent_events(world, run.session_id, "user.interrupt")
    assert [a.tool_use_id for a in run.state.pending_approvals()] == [value.tool_use_id]
    assert _audit(world) == []
    assert await router.decide(_click(YOU, ActionId.REJECT, value, card["ts"], reason="not tonight")) is None
    [decision] = _decisions(world, run.session_id)
    assert (decision["decision"], decision["reason"]) == ("rejected", "not tonight")


async def test_the_opener_cannot_approve_under_the_two_person_rule(work_dir) -> None:
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, approval_self_deny=True)
    try:
        run, card, value = await _pending_card(world)
        assert await run.gate.approve(_click(YOU, ActionId.APPROVE, value, card["ts"])) == (
            "Two-person rule: whoever opened the incident cannot approve its fix. Ask another approver.")
        assert await run.gate.approve(_click(YOU, ActionId.REJECT, value, card["ts"])) is None  # rejecting is fine
        assert [d["approver"] for d in _decisions(world, run.session_id)] == [YOU]
    finally:
        await world.stop()


async def test_silence_is_reminded_then_rejected_as_expired_and_the_card_is_closed(work_dir) -> None:
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, approval_remind_after=0.3, approval_timeout=1.0
    )
    try:
        run, card, value = await _pending_card(world)
        tool_id = value.tool_use_id
        await _closed(world, run.thread.ts, card["ts"])

        [reminder] = [i for i in run.state.items if i.kind is ItemKind.REMINDER]
        assert reminder.mentions == ("S0SRE",) and "Still waiting for a decision on PR #1" in reminder.text
        [decision] = _decisions(world, run.session_id)
        assert decision["decision"] == "rejected" and decision["approver"] is None and decision["expired"] is True
        assert decision["reason"] == "no decision within 0.0166667 min"
        assert run.state.approvals[tool_id].decision.outcome is Outcome.EXPIRED
        assert not run.state.pending_approvals()

        late = await run.gate.approve(_click(YOU, ActionId.APPROVE, value, card["ts"]))
        assert late == f"Already decided: expired. {SENT_NOTHING}"
        assert len(_decisions(world, run.session_id)) == 1
        assert ("expired", None) in _audit(world)
    finally:
        await world.stop()


async def test_a_held_tool_call_is_allowed_or_denied_once(work_dir) -> None:
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, confirm_tools=("bash",))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: any(b["action_id"] == ActionId.ALLOW for m in thread(world, root_ts)
                                                 for b in buttons(m)), timeout=TIMEOUT)  # fmt: skip
        held = run.state.pending_confirmations()[0]
        value = ButtonValue(session_id=run.session_id, tool_use_id=held.tool_use_id)
        deny = Click(YOU, ActionId.DENY, value, ONCALL, "", thread_ts=root_ts, reason="no listing today")
        allow = Click(LEAD, ActionId.ALLOW, value, ONCALL, "", thread_ts=root_ts)
        first = await run.gate.confirm(deny)
        second = await run.gate.confirm(allow)

        assert first is None and second == f"Already decided: denied. {SENT_NOTHING}"
        [sent] = [e for e in sent_events(world, run.session_id, "user.tool_confirmation")
                  if e["tool_use_id"] == held.tool_use_id]  # fmt: skip
        assert sent["result"] == "deny" and sent["deny_message"] == f"[{YOU}] no listing today"
        assert run.state.confirmations[held.tool_use_id].decided_by == YOU
        assert (_audit(world))[0] == ("denied", YOU)
    finally:
        await world.stop()


async def test_a_second_click_on_a_held_call_is_told_what_the_first_decided(work_dir) -> None:
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, confirm_tools=("bash",))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: any(b["action_id"] == ActionId.ALLOW for m in thread(world, root_ts)
                                                 for b in buttons(m)), timeout=TIMEOUT)  # fmt: skip
        held = run.state.pending_confirmations()[0]
        value = ButtonValue(session_id=run.session_id, tool_use_id=held.tool_use_id)
        allow = Click(YOU, ActionId.ALLOW, value, ONCALL, "", thread_ts=root_ts)
        deny = Click(LEAD, ActionId.DENY, value, ONCALL, "", thread_ts=root_ts)
        answers = await asyncio.gather(run.gate.confirm(allow), run.gate.confirm(deny))  # one waits on the other
        first = answers.index(None)
        word = "allowed" if first == 0 else "denied"
        assert answers[1 - first] == f"Already decided: {word}. {SENT_NOTHING}"  # before the echo comes back too
        sent = [e for e in sent_events(world, run.session_id, "user.tool_confirmation") if e["tool_use_id"] == held.tool_use_id]
        assert [e["result"] for e in sent] == [("allow", "deny")[first]]
    finally:
        await world.stop()


async def test_stop_rejects_what_waits_for_a_person_then_interrupts_once(world: DemoWorld) -> None:
    run, card, value = await _pending_card(world)
    stop = _click(YOU, ActionId.STOP, value, run.thread.ts)
    assert await run.gate.stop(stop) is None
    assert run.state.stopped_by == YOU and not run.state.pending_approvals()
    [decision] = _decisions(world, run.session_id)  # sent before the interrupt: an idle session may ignore that
    assert (decision["decision"], decision["approver"], decision["reason"]) == ("rejected", YOU, f"stopped by <@{YOU}>")
    posted = [(e["type"]) for r in world.agents.requests if r.method == "POST" and r.path.endswith("/events")
              for e in (r.json or {}).get("events", [])]
    assert posted[-2:] == ["user.custom_tool_result", "user.interrupt"]

    again = await run.gate.stop(_click(LEAD, ActionId.STOP, value, run.thread.ts))
    assert again == "The agent is not running any more; there is nothing to stop."
    late = await run.gate.approve(_click(LEAD, ActionId.APPROVE, value, card["ts"]))
    assert late == f"Already decided by <@{YOU}>: rejected. {SENT_NOTHING}"
    assert len(sent_events(world, run.session_id, "user.interrupt")) == 1 and len(_decisions(world, run.session_id)) == 1
    assert (await world.bot.anthropic.beta.sessions.retrieve(run.session_id)).metadata["stopped_by"] == YOU
    assert _audit(world) == [("stopped", YOU), ("rejected", YOU)]
