"""Alerts: one opens an incident and says where under it; a repeat with the same dedupe key joins the incident in
progress; one over the hourly limit opens nothing and says why."""

from __future__ import annotations

from bot.alerts.model import make_alert
from standins.managed_agents.testing import ScriptedBrain

from tests.bot.stand import ALERTS, ALICE, ONCALL, Stand, listening, stand

TIMEOUT = 30


def _waiting_brain() -> ScriptedBrain:
    brain = ScriptedBrain()

    async def first(ctx, message):
        await brain.release.wait()

    brain.first = first
    return brain


def _under(world: Stand, alert_ts: str) -> list[str]:
    return [m["text"] for m in world.slack.thread(ALERTS, alert_ts)[1:]]


async def test_an_alert_in_a_channel_opens_an_incident_and_says_where_under_the_alert(tmp_path):
    async with stand(tmp_path) as world, listening(world.slack):
        parts = world.parts()
        alert_ts = await world.slack.post_message(ALICE, ALERTS, "checkout pods OOMKilled")
        alert = make_alert(title="checkout OOM", full_text="checkout pods OOMKilled", source="text")
        run = await parts.intake.open_from_alert(alert, channel=ALERTS, ts=alert_ts, person=ALICE)
        assert run is not None and run.root_record.dedupe_key == alert.dedupe_key
        [note] = _under(world, alert_ts)
        assert note.startswith("Opened an incident: ") and run.thread.ts.replace(".", "") in note
        assert [m["ts"] for m in world.slack.messages(ONCALL)] == [run.thread.ts]
        await run.wait_finished(timeout=TIMEOUT)
        await parts.close()


async def test_a_repeat_alert_joins_the_incident_in_progress(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world, listening(world.slack):
        parts = world.parts()
        first_ts = await world.slack.post_message(ALICE, ALERTS, "checkout OOM")
        repeat_ts = await world.slack.post_message(ALICE, ALERTS, "checkout OOM, again")
        alert = make_alert(title="checkout OOM", full_text="checkout OOM", source="text", dedupe_key="text:oom")
        run = await parts.intake.open_from_alert(alert, channel=ALERTS, ts=first_ts, person=ALICE)
        joined = await parts.intake.open_from_alert(alert, channel=ALERTS, ts=repeat_ts, person=ALICE)
        assert joined is run and len(world.sessions_created()) == 1 and len(world.slack.messages(ONCALL)) == 1
        assert _under(world, repeat_ts)[0].startswith("Added this alert to the open incident: ")
        await run.publisher.flush(timeout=TIMEOUT)
        assert any("Another alert with the same key arrived" in m["text"] for m in world.thread(run.thread.ts))
        relayed = [e for r in world.agents.requests if r.method == "POST" and r.path.endswith("/events")
                   for e in r.json["events"] if "A related alert arrived" in str(e.get("content"))]  # fmt: skip
        assert len(relayed) == 1
        brain.release.set()
        await parts.close()


async def test_an_alert_over_the_hourly_limit_opens_nothing_and_says_why_under_it(tmp_path):
    async with stand(tmp_path, brain=_waiting_brain(), incidents_per_channel_per_hour=1) as world, listening(world.slack):
        parts = world.parts()
        first_ts = await world.slack.post_message(ALICE, ALERTS, "checkout OOM")
        second_ts = await world.slack.post_message(ALICE, ALERTS, "payments 5xx")
        first = make_alert(title="checkout OOM", full_text="checkout OOM", source="text")
        second = make_alert(title="payments 5xx", full_text="payments 5xx", source="text")
        assert await parts.intake.open_from_alert(first, channel=ALERTS, ts=first_ts, person=ALICE) is not None
        assert await parts.intake.open_from_alert(second, channel=ALERTS, ts=second_ts, person=ALICE) is None
        [refusal] = _under(world, second_ts)
        assert refusal.startswith("No incident opened") and "INCIDENTS_PER_CHANNEL_PER_HOUR" in refusal
        assert len(world.sessions_created()) == 1
        world.brain.release.set()
        await parts.close()


async def test_a_webhook_alert_opens_an_incident_and_writes_nowhere_else(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        alert = make_alert(title="checkout OOM", full_text="checkout OOM", source="alertmanager")
        run = await parts.intake.open_from_alert(alert, channel=None, ts=None, person=None)
        assert run is not None and run.state.source == "webhook (alertmanager)"
        assert {c.args.get("channel") for c in world.slack.calls_to("chat.postMessage")} == {ONCALL}
        await run.wait_finished(timeout=TIMEOUT)
        await parts.close()
