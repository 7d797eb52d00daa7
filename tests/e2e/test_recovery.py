"""Nothing lost, nothing twice: restarts, dropped streams, Slack 429s, deadlines, forged and refused clicks."""

from __future__ import annotations

from collections import Counter

from blocks.ids import ActionId, ButtonValue, encode_button_value
from bot.demo import DemoWorld, start_world

from tests.e2e.conftest import BYSTANDER, FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, buttons, find_card, open_incident, reject, result_json, sent_events, thread, wait_for_card

TIMEOUT = 60


def keys_in_thread(world: DemoWorld, root_ts: str) -> Counter:
    """How many thread messages show each publisher key (from the messages' Slack metadata)."""
    return Counter(
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
        for m in thread(world, root_ts)
        if (m.get("metadata") or {}).get("event_type") == "incident_bot"
    )


def assert_each_agent_message_once(world: DemoWorld, session_id: str, root_ts: str) -> None:
    keys = keys_in_thread(world, root_ts)
    agent_messages = [e for e in world.agents.sessions[session_id].events if e["type"] == "agent.message"]
    assert agent_messages, "the agent said nothing"
    for e in agent_messages:
        assert keys[f"message:{e['id']}"] == 1, (e["id"], keys)
    assert all(n == 1 for n in keys.values()), keys


def decisions(world: DemoWorld, session_id: str) -> list[dict]:
    return [result_json(e) for e in sent_events(world, session_id, "user.custom_tool_result") if "decision" in result_json(e)]


async def _merged(world: DemoWorld, run) -> list[int]:
    return [n for n in run.state.prs if await world.bot.prs.is_merged(run.session_id, n)]


async def test_a_restart_repeats_nothing_and_old_buttons_still_work(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await run.publisher.flush(timeout=TIMEOUT)
    before = [(m["ts"], m.get("text")) for m in thread(world, root_ts)]
    await world.restart_bot()  # a new process in all but name: nothing carried over in memory
    resumed = world.bot.incidents.find_by_thread(ONCALL, root_ts)
    assert resumed is not None and resumed is not run
    await resumed.wait_live(timeout=TIMEOUT)
    await resumed.publisher.flush(timeout=TIMEOUT)
    assert [(m["ts"], m.get("text")) for m in thread(world, root_ts)] == before

    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)  # a button posted before the restart
    await resumed.wait_finished(timeout=TIMEOUT)
    assert await _merged(world, resumed) == [1]
    assert [d["decision"] for d in decisions(world, resumed.session_id)] == ["approved"]
    assert_each_agent_message_once(world, resumed.session_id, root_ts)


async def test_dropped_streams_lose_and_repeat_nothing(work_dir):
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir)
    try:
        world.agents.inject_stream_cut(every=3)
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts)
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
        streams = [r for r in world.agents.requests if r.path == f"/v1/sessions/{run.session_id}/events/stream"]
        assert len(streams) > 3  # it really reconnected
        assert await _merged(world, run) == [1]
        assert_each_agent_message_once(world, run.session_id, root_ts)
        results = Counter(e["custom_tool_use_id"] for e in sent_events(world, run.session_id, "user.custom_tool_result"))
        assert all(n == 1 for n in results.values()), results
    finally:
        await world.stop()


async def test_slack_429s_are_waited_out_and_nothing_is_dropped(world):
    world.slack.fail_next("chat.postMessage", status=429, retry_after=1, count=3)
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
    await run.wait_finished(timeout=TIMEOUT)
    assert sum(1 for c in world.slack.calls if c.method == "chat.postMessage" and c.status == 429) == 3
    assert_each_agent_message_once(world, run.session_id, root_ts)


async def test_silence_is_never_consent(work_dir):
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, approval_remind_after=0.3, approval_timeout=1.0
    )
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        [decision] = decisions(world, run.session_id)
        assert decision["decision"] == "rejected" and "no decision within" in decision["reason"]
        assert not await _merged(world, run)
        texts = [block_text(m) for m in thread(world, root_ts)]
        assert any("Still waiting for a decision" in t and "<!subteam^S0SRE>" in t for t in texts)
        card = find_card(world, root_ts, ActionId.APPROVE) or next(t for t in thread(world, root_ts) if "Expired" in block_text(t))
        assert not buttons(card) and "Expired" in block_text(card)
    finally:
        await world.stop()


async def test_forged_or_foreign_buttons_are_refused(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    tool_id = card and next(b for b in buttons(card) if b["action_id"] == ActionId.APPROVE)
    forged = ButtonValue(session_id="sesn_someone_else", tool_use_id="sevt_x")
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE, value=encode_button_value(forged))
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE, value='{"v": 1, "session_id": "x"')
    unknown_tool = ButtonValue(session_id=run.session_id, tool_use_id="sevt_not_a_tool_call")
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE, value=encode_button_value(unknown_tool))
    await world.slack.wait_for(lambda s: len(s.ephemerals(YOU)) >= 3, timeout=TIMEOUT)
    assert not decisions(world, run.session_id)
    assert tool_id is not None and buttons(next(m for m in thread(world, root_ts) if m["ts"] == card["ts"]))
    await reject(world, YOU, card["ts"])
    await run.wait_finished(timeout=TIMEOUT)


async def test_two_person_rule_keeps_the_opener_from_approving(work_dir):
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, approvers=("S0SRE", BYSTANDER), approval_self_deny=True
    )
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts)
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await world.slack.wait_for(lambda s: bool(s.ephemerals(YOU)), timeout=TIMEOUT)
        assert "two-person" in str(world.slack.ephemerals(YOU)[-1]).lower()
        assert not decisions(world, run.session_id)
        await world.slack.click(BYSTANDER, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
        assert [(d["decision"], d["approver"]) for d in decisions(world, run.session_id)] == [("approved", BYSTANDER)]
    finally:
        await world.stop()


async def test_a_terminated_session_leaves_no_live_button(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await world.agents.terminate(run.session_id)
    await run.wait_finished(timeout=TIMEOUT)
    dead = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
    assert not buttons(dead) and "terminated" in block_text(dead).lower()
    root = world.slack.messages(ONCALL)[0]
    assert "Terminated" in block_text(root) and not buttons(root)
    assert not decisions(world, run.session_id)


async def test_a_session_that_cannot_be_created_is_shown_failed_and_not_retried_forever(world):
    world.agents.fail_next("POST", r"/v1/sessions", 500, count=3)  # the SDK's two retries fail too
    await world.slack.slash_command(YOU, "/incident", "checkout OOM", channel_id=ONCALL)
    await world.slack.wait_for(lambda s: s.messages(ONCALL) and "Failed" in block_text(s.messages(ONCALL)[0]), timeout=TIMEOUT)
    assert "could not start the investigation" in block_text(world.slack.messages(ONCALL)[0])
    await world.restart_bot()
    assert not world.bot.incidents.runs
    assert not [r for r in world.agents.requests if r.method == "POST" and r.path == "/v1/sessions" and r.status == 200]
