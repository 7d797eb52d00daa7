"""Cost guards: how many paid agent sessions people, channels and alerting integrations may open in an hour."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest

from bot.demo import ALERTS, BYSTANDER, LEAD, ONCALL, YOU, post_sample_alert, start_world
from bot.ratelimit import Limit, MemoryRateLimiter, Refusal
from bot.settings import SettingsError, load_settings
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES
from tests.e2e.helpers import block_text

TIMEOUT = 60
PD_SECRET = "pd-secret-for-limits"


def _when(text: str) -> int:
    """The time a refusal names, as Slack's date token carries it (shown in each reader's own time zone)."""
    found = re.search(r"<!date\^(\d+)\^[^|>]*\|[^>]*\d\d:\d\d UTC>", text)
    assert found, text
    return int(found.group(1))


def _roots(world) -> list[dict[str, Any]]:
    return [m for m in world.slack.messages(ONCALL) if m.get("subtype") != "thread_broadcast"]


async def _incident(world, user: str, text: str, channel: str = ONCALL) -> dict[str, Any]:
    ack = await world.slack.slash_command(user, "/incident", text, channel_id=channel)
    assert ack is not None, "the bot did not ack /incident"
    return ack


async def test_people_and_channels_have_an_hourly_limit_and_the_refusal_says_when(tmp_path):
    async def brief(ctx, message):
        await ctx.say("Looked; nothing to add.")

    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", brain=ScriptedBrain(first=brief),
        incidents_per_user_per_hour=2, incidents_per_channel_per_hour=3,
    )  # fmt: skip
    try:
        t0 = time.time()
        for n in (1, 2):
            ack = await _incident(world, YOU, f"checkout OOM {n}")
            assert "Opening an incident" in ack["text"]
        t1 = time.time()

        ack = await _incident(world, YOU, "checkout OOM 3")
        assert ack["response_type"] == "ephemeral"
        assert ack["text"].startswith("No incident opened: you have opened 2 incidents in the last hour"), ack["text"]
        assert t0 + 3600 - 1 <= _when(ack["text"]) <= t1 + 3600 + 1  # when the first of the two leaves the hour
        assert "open incident's thread" in ack["text"]  # what to do meanwhile

        assert "Opening an incident" in (await _incident(world, BYSTANDER, "payments slow"))["text"]  # another person
        ack = await _incident(world, LEAD, "search down")  # a fourth from the same channel
        assert ack["text"].startswith("No incident opened: 3 incidents were opened from this channel in the last hour"), ack["text"]
        assert t0 + 3600 - 1 <= _when(ack["text"]) <= t1 + 3600 + 1

        await world.slack.wait_for(lambda s: len(world.bot.incidents.runs) == 3, timeout=TIMEOUT)
        for run in list(world.bot.incidents.runs.values()):
            await run.wait_finished(timeout=TIMEOUT)
        assert len(world.agents.sessions) == 3 and len(_roots(world)) == 3  # a refusal opens nothing
    finally:
        await world.stop()


def _fresh_pagerduty_body() -> bytes:
    body = json.loads((FIXTURES / "checkout-oom" / "alert.json").read_text())
    body["event"]["occurred_at"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(body).encode()


async def test_alerts_from_integrations_have_their_own_limit_and_a_repeat_alert_is_not_counted(tmp_path):
    brain = ScriptedBrain()

    async def holds(ctx, message):  # the incident stays open, so a repeat alert can join it
        await brain.release.wait()

    brain.first = holds
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", brain=brain, alert_incidents_per_hour=1,
        webhook_port=0, webhook_host="127.0.0.1", pagerduty_webhook_secret=PD_SECRET,
    )  # fmt: skip
    try:
        t0 = time.time()
        body = _fresh_pagerduty_body()
        signature = "v1=" + hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()
        url = f"http://127.0.0.1:{world.bot.webhook_port}/webhooks/pagerduty"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers={"X-PagerDuty-Signature": signature}) as resp:
                assert resp.status == 202
        await world.slack.wait_for(lambda s: len(world.bot.incidents.runs) == 1, timeout=TIMEOUT)
        t1 = time.time()

        # Another integration's alert, a different problem: the hour's one alert incident is used up.
        ts = await post_sample_alert(world.slack, "grafana")
        await world.slack.wait_for(lambda s: len(s.thread(ALERTS, ts)) > 1, timeout=TIMEOUT)
        refusal = block_text(world.slack.thread(ALERTS, ts)[-1])
        assert refusal.startswith("No incident opened for this alert: alerts opened 1 incident in the last hour"), refusal
        assert t0 + 3600 - 1 <= _when(refusal) <= t1 + 3600 + 1
        assert "/incident" in refusal  # what to do: a person can still open one

        # PagerDuty's own Slack message for the same incident joins it: no new session, so nothing is counted.
        ts = await post_sample_alert(world.slack, "pagerduty")
        await world.slack.wait_for(lambda s: len(s.thread(ALERTS, ts)) > 1, timeout=TIMEOUT)
        assert block_text(world.slack.thread(ALERTS, ts)[-1]).startswith("Added this alert to the open incident")

        # People are counted apart from integrations.
        assert "Opening an incident" in (await _incident(world, YOU, "checkout latency"))["text"]
        await world.slack.wait_for(lambda s: len(world.bot.incidents.runs) == 2, timeout=TIMEOUT)
        assert len(world.agents.sessions) == 2 and len(_roots(world)) == 2
        brain.release.set()
        for run in list(world.bot.incidents.runs.values()):
            await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()


async def test_the_window_slides_and_a_refusal_counts_nothing():
    now = [1000.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    person, channel = Limit("user:U1", 2, 60.0), Limit("channel:C1", 3, 60.0)
    for at in (1000.0, 1030.0):
        now[0] = at
        assert await limiter.acquire([person, channel]) is None
    now[0] = 1040.0
    refused = await limiter.acquire([person, channel])
    assert refused == Refusal(person, 1060.0)  # the first leaves the window at 1060
    assert await limiter.acquire([Limit("user:U2", 2, 60.0), channel]) is None  # the refusal did not count
    assert (await limiter.acquire([Limit("user:U3", 2, 60.0), channel])).limit == channel
    now[0] = 1060.0
    assert await limiter.acquire([person]) is None
    assert await limiter.acquire([Limit("alerts", 0)]) is None  # 0: no limit


def test_the_limits_are_settings_with_defaults_and_zero_turns_one_off():
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "ANTHROPIC_API_KEY": "k", "ONCALL_CHANNEL": "C1"}
    s = load_settings(base, dotenv_path=None)
    assert (s.incidents_per_user_per_hour, s.incidents_per_channel_per_hour, s.alert_incidents_per_hour) == (5, 20, 20)
    assert s.pagerduty_replay_window == 300.0
    s = load_settings({**base, "INCIDENTS_PER_USER_PER_HOUR": "0", "ALERT_INCIDENTS_PER_HOUR": "50",
                       "PAGERDUTY_REPLAY_WINDOW": "2m"}, dotenv_path=None)  # fmt: skip
    assert (s.incidents_per_user_per_hour, s.alert_incidents_per_hour, s.pagerduty_replay_window) == (0, 50, 120.0)
    for bad in ("-1", "five", "1.5"):
        with pytest.raises(SettingsError, match="INCIDENTS_PER_CHANNEL_PER_HOUR"):
            load_settings({**base, "INCIDENTS_PER_CHANNEL_PER_HOUR": bad}, dotenv_path=None)
