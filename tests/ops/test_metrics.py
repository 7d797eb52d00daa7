"""/metrics scraped over HTTP during a real incident, each figure checked against what the stand-ins recorded."""

from __future__ import annotations

from pathlib import Path

from blocks.ids import ActionId
from bot.app import build_bot
from bot.demo import ONCALL, YOU, DemoWorld

from tests.e2e.helpers import open_incident, wait_for_card
from tests.ops.probes import scrape, total, value

USER_EVENTS = ("user.message", "user.interrupt", "user.tool_confirmation", "user.custom_tool_result")


def _slack_calls(world: DemoWorld, method: str) -> int:
    return sum(1 for c in world.slack.calls if c.method == method)


async def test_metrics_follow_an_incident_from_the_slash_command_to_the_decision(world: DemoWorld) -> None:
    port = world.bot.health_port
    assert port is not None
    world.slack.fail_next("chat.update", status=429, retry_after=1)  # one Tier 3 refusal, waited out

    root_ts, run = await open_incident(world, YOU, "checkout pods OOMKilled")
    card = await wait_for_card(world, root_ts)
    await run.wait_live(timeout=30)
    waiting = await scrape(port)
    assert value(waiting, "incident_bot_incidents_open") == 1
    assert value(waiting, "incident_bot_sessions_followed") == 1
    assert value(waiting, "incident_bot_approvals_pending", kind="approval") == 1
    assert total(waiting, "incident_bot_approvals_decided_total") == 0

    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
    await run.wait_finished(timeout=60)
    done = await scrape(port)
    assert value(done, "incident_bot_approvals_pending", kind="approval") == 0
    assert value(done, "incident_bot_approvals_decided_total", outcome="approved") == 1
    assert value(done, "incident_bot_incidents_open") == 0
    assert value(done, "incident_bot_sessions_followed") == 0

    # Every event of the session folded exactly once (a user event may be folded twice: queued, then processed).
    history = world.agents.sessions[run.session_id].events
    folded = value(done, "incident_bot_events_processed_total", source="session")
    users = sum(1 for e in history if e["type"] in USER_EVENTS)
    assert len(history) <= folded <= len(history) + users, (folded, len(history))

    # Slack calls, by method, as the local Slack received them; the 429 counted once, its retry as a call.
    for method in ("chat.postMessage", "chat.update", "conversations.replies", "apps.connections.open"):
        assert value(done, "incident_bot_slack_calls_total", method=method) == _slack_calls(world, method), method
    assert value(done, "incident_bot_slack_rate_limited_total", method="chat.update") == 1
    assert total(done, "incident_bot_slack_rate_limited_total") == 1

    # Acks: one observation per envelope the local Slack saw acked, by type.
    acked = [a for a in world.slack.envelope_acks if a.acked_at is not None]
    for kind in {a.type for a in acked}:
        expected = sum(1 for a in acked if a.type == kind)
        assert value(done, "incident_bot_socket_mode_ack_seconds_count", type=kind) == expected, kind
    assert value(done, "incident_bot_socket_mode_ack_seconds_bucket", type="slash_commands", le="2.5") == 1

    # Event to Slack: observed for events that changed the thread, never more than the events folded.
    shown = value(done, "incident_bot_event_to_slack_seconds_count")
    assert 0 < shown <= folded
    assert value(done, "incident_bot_lease_takeovers_total") == 0


async def test_an_envelope_no_listener_acks_is_counted(world: DemoWorld) -> None:
    port = world.bot.health_port
    assert port is not None
    foreign = [{"type": "actions", "elements": [
        {"type": "button", "action_id": "someone_elses_button", "text": {"type": "plain_text", "text": "Hi"}}]}]
    ts = await world.slack.post_message(YOU, ONCALL, "another app's message", blocks=foreign)
    assert await world.slack.click(YOU, ONCALL, ts, "someone_elses_button") is None  # Bolt sends no ack
    samples = await scrape(port)
    assert value(samples, "incident_bot_socket_mode_unacked_total", type="interactive") == 1
    assert value(samples, "incident_bot_socket_mode_ack_seconds_count", type="interactive") == 0


async def test_two_bots_in_one_process_keep_their_own_metrics(world: DemoWorld, tmp_path: Path) -> None:
    other = build_bot(world.settings.with_(work_dir=tmp_path / "other"))  # a global registry would refuse this one
    root_ts, run = await open_incident(world, YOU, "checkout pods OOMKilled")
    await run.wait_live(timeout=30)
    assert value(await scrape(world.bot.health_port or 0), "incident_bot_events_processed_total", source="session") > 0
    body, _ = other.metrics.exposition(None)
    assert b'incident_bot_events_processed_total{source="session"} 0.0' in body
