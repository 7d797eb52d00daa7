"""Alerts: one opens an incident and says where under it; a repeat with the same dedupe key joins the incident in
progress; one over the hourly limit opens nothing and says why."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from bot.alerts import Alert, parse_alertmanager_webhook
from bot.alerts.model import make_alert
from bot.settings import REPO_ROOT
from standins.managed_agents.testing import ScriptedBrain

from tests.bot.stand import ALERTS, ALICE, ONCALL, Stand, listening, root_metadata, stand

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


async def test_the_same_alert_delivered_twice_at_once_opens_one_incident(tmp_path):
    # Alertmanager retries a delivery it thinks failed, and sends a group again when it changes: a second delivery
    # can arrive while the first is still opening its incident (root posted, session not yet created).
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        alert = make_alert(title="[FIRING:1] CheckoutLatencyHigh", full_text="checkout p99 high", source="alertmanager",
                           dedupe_key="alertmanager:{}:{alertname=\"CheckoutLatencyHigh\"}")  # fmt: skip
        first, second = await asyncio.gather(*(parts.intake.open_from_alert(alert, channel=None, ts=None, person=None)
                                               for _ in range(2)))  # fmt: skip
        assert first is second and first is not None
        assert len(world.sessions_created()) == 1 and len(world.slack.messages(ONCALL)) == 1
        brain.release.set()
        await parts.close()


def _group(*, resolved: bool = False, pods: int = 2) -> Alert:
    """Alertmanager's grouped notification (the fixture's, firing or resolved), as the webhook parses it."""
    body = json.loads((REPO_ROOT / "fixtures" / "alerts" / "webhooks" / "alertmanager.json").read_text())
    alerts = [a for a in body["alerts"] if a["status"] == "firing"][:1] * pods
    body["alerts"] = [{**a, "labels": {**a["labels"], "pod": f"checkout-{i}"}, "fingerprint": f"{i:016x}"}
                      for i, a in enumerate(alerts)]  # fmt: skip
    if resolved:
        body["status"] = "resolved"
        for a in body["alerts"]:
            a.update(status="resolved", endsAt="2025-03-14T09:41:02.5Z")
    [alert] = parse_alertmanager_webhook(body)
    return alert


def _relayed(world: Stand) -> list[str]:
    """The user.messages sent into sessions after they were created (the first one travels with the creation)."""
    return [str(e.get("content")) for r in world.agents.requests if r.method == "POST" and r.path.endswith("/events")
            for e in r.json["events"] if e.get("type") == "user.message"]  # fmt: skip


async def test_a_repeated_notification_joins_its_incident_without_a_word(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.intake.open_from_alert(_group(), channel=None, ts=None, person=None)
        for _ in range(3):  # Alertmanager's retries, and its repeats every repeat_interval
            assert await parts.intake.open_from_alert(_group(), channel=None, ts=None, person=None) is run
        await run.publisher.flush(timeout=TIMEOUT)
        assert len(world.sessions_created()) == 1 and len(world.thread(run.thread.ts)) == 1
        assert _relayed(world) == []
        brain.release.set()
        await parts.close()


async def test_a_group_that_grew_is_noted_and_only_the_new_alerts_are_relayed(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.intake.open_from_alert(_group(pods=2), channel=None, ts=None, person=None)
        assert await parts.intake.open_from_alert(_group(pods=3), channel=None, ts=None, person=None) is run
        await run.publisher.flush(timeout=TIMEOUT)
        [note] = [m["text"] for m in world.thread(run.thread.ts)[1:]]
        assert "1 more alert" in note and "checkout-2" in note
        relayed = [m for m in _relayed(world) if "joined" in m]
        assert len(relayed) == 1 and "checkout-2" in relayed[0] and "checkout-1" not in relayed[0]
        brain.release.set()
        await parts.close()


async def test_a_resolved_notification_is_noted_and_shown_on_the_root_but_does_not_stop_the_agent(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.intake.open_from_alert(_group(), channel=None, ts=None, person=None)
        assert await parts.intake.open_from_alert(_group(resolved=True), channel=None, ts=None, person=None) is run
        await run.publisher.flush(timeout=TIMEOUT)
        [root] = world.slack.messages(ONCALL)
        assert "Resolved upstream" in str(root["blocks"]) and "09:41" in str(root["blocks"])
        [note] = [m["text"] for m in world.thread(run.thread.ts)[1:]]
        assert "Alertmanager" in note and "resolved" in note
        assert not run.state.finished and run.state.stopped_by is None
        assert not [r for r in world.agents.requests if "user.interrupt" in str(r.json)]
        # The root record keeps it: a restart still shows the alert resolved upstream.
        assert root_metadata(world.slack, run.thread.ts).record.resolved_at.startswith("2025-03-14T09:41:02")
        await parts.close()
        again = world.parts()
        [resumed] = await again.recovery.resume_all()
        assert resumed.state.resolved_upstream_at == datetime(2025, 3, 14, 9, 41, 2, 500000, tzinfo=timezone.utc)
        assert [label for label, _ in resumed.state.links] == ["Alert", "Graph"]  # kept by the root record too
        brain.release.set()
        await resumed.wait_finished(timeout=TIMEOUT)
        [root] = world.slack.messages(ONCALL)
        assert "Resolved upstream" in str(root["blocks"])
        await again.close()


async def test_a_resolved_notification_for_no_incident_opens_nothing(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        assert await parts.intake.open_from_alert(_group(resolved=True), channel=None, ts=None, person=None) is None
        assert not world.sessions_created() and not world.slack.messages(ONCALL)
        await parts.close()


async def test_a_repeat_after_a_restart_still_adds_nothing(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.intake.open_from_alert(_group(), channel=None, ts=None, person=None)
        await run.publisher.flush(timeout=TIMEOUT)
        await parts.close()
        again = world.parts()  # a new process: nothing in memory but what Slack and the session keep
        [resumed] = await again.recovery.resume_all()
        assert await again.intake.open_from_alert(_group(), channel=None, ts=None, person=None) is resumed
        await resumed.publisher.flush(timeout=TIMEOUT)
        assert len(world.thread(run.thread.ts)) == 1 and _relayed(world) == []
        brain.release.set()
        await again.close()


async def test_what_the_root_keeps_is_written_even_when_the_root_looks_the_same(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await parts.intake.open_from_alert(_group(), channel=None, ts=None, person=None)
        await run.wait_finished(timeout=TIMEOUT)
        run.keep(alerts_digest="0123abcd")  # nothing the root shows changes
        run.publish()
        await run.publisher.flush(timeout=TIMEOUT)
        assert root_metadata(world.slack, run.thread.ts).record.alerts_digest == "0123abcd"
        await parts.close()
