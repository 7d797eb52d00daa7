"""The webhook against a real Alertmanager: its bearer token, a grouped notification, its repeats and its resolved
notification, and the links it carries on the root message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from bot.demo import ONCALL, start_world
from standins.managed_agents.testing import ScriptedBrain
from tests.e2e.conftest import FIXTURES
from tests.e2e.helpers import block_text, sent_events, thread
from tests.support.fixtures import Servers
from tests.support.servers import AlertmanagerServer, webhook_receiver_config

pytestmark = pytest.mark.slow

TOKEN = "am-live-t0ken"
TIMEOUT = 30
EXPR = 'histogram_quantile(0.99, sum by (le) (rate(checkout_request_seconds_bucket{service="checkout"}[1m]))) > 0.5'
GRAPH = f"http://prometheus.internal:9090/graph?g0.expr={quote(EXPR, safe='')}&g0.tab=1"  # as Prometheus writes it
PODS = tuple(f"checkout-7c9f8d6b5-{suffix}" for suffix in ("x2x4q", "q8n2m", "h5k7w", "b7d2z", "m4p9c", "t6w1r"))


def _waiting_brain() -> ScriptedBrain:
    """An agent still at work: its first turn waits until the test lets it go."""
    brain = ScriptedBrain()

    async def first(ctx, message):
        await ctx.say("looking")
        await brain.release.wait()

    brain.first = first
    return brain


def _alerts(*, ends: datetime | None = None) -> list[dict[str, Any]]:
    labels = {"alertname": "CheckoutLatencyHigh", "service": "checkout", "namespace": "shop", "severity": "page"}
    out = []
    for pod in PODS:
        alert: dict[str, Any] = {"labels": {**labels, "pod": pod}, "generatorURL": GRAPH,
                                 "annotations": {"summary": f"checkout p99 above 500 ms on {pod}"}}  # fmt: skip
        if ends is not None:
            alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
        out.append(alert)
    return out


async def _post(alertmanager: AlertmanagerServer, alerts: list[dict[str, Any]]) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{alertmanager.url}/api/v2/alerts", json=alerts) as resp:
        assert resp.status == 200, await resp.text()


def _roots(world) -> list[dict[str, Any]]:
    return [m for m in world.slack.messages(ONCALL) if m.get("subtype") != "thread_broadcast"]


def _first_message(world, session_id: str) -> str:
    """The session's first user.message, as the stand-in holds it (it travels with the session's creation)."""
    first = next(e for e in world.agents.sessions[session_id].events if e["type"] == "user.message")
    return "".join(b.get("text", "") for b in first["content"])


async def test_a_real_alertmanager_opens_one_incident_for_a_group_and_its_repeats_join_it(servers: Servers,
                                                                                          tmp_path: Path) -> None:
    brain = _waiting_brain()
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", webhook_port=0,
                              webhook_host="127.0.0.1", alertmanager_token=TOKEN, brain=brain)  # fmt: skip
    try:
        hook = f"http://127.0.0.1:{world.bot.webhook_port}/webhooks/alertmanager"
        config = webhook_receiver_config(hook, token=TOKEN, group_wait="1s", group_interval="1s", repeat_interval="1s")
        alertmanager = await servers.alertmanager(config=config)
        await _post(alertmanager, _alerts())
        await world.slack.wait_for(lambda s: len(_roots(world)) == 1, timeout=TIMEOUT)
        root_ts = _roots(world)[0]["ts"]
        await world.slack.wait_for(lambda s: world.bot.incidents.find_by_thread(ONCALL, root_ts) is not None,
                                   timeout=TIMEOUT)  # fmt: skip
        run = world.bot.incidents.find_by_thread(ONCALL, root_ts)
        first = _first_message(world, run.session_id)
        assert all(pod in first for pod in PODS), first  # one incident for the group, every alert listed

        # Alertmanager repeats the group every repeat_interval: each repeat joins, none opens or relays anything.
        sent = await alertmanager.webhooks_sent()
        await alertmanager.wait_for_webhooks(sent + 2, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        assert len(_roots(world)) == 1 and len(world.bot.incidents.runs) == 1
        assert sent_events(world, run.session_id, "user.message") == []  # nothing relayed after the first message
        assert not any("same key" in block_text(m) for m in thread(world, root_ts))

        # The root links to the alert in Alertmanager and to its graph, and says nothing else about the URLs.
        root = block_text(_roots(world)[0])
        assert f"<{alertmanager.url}/#/alerts?receiver=bot|" in root
        assert f"<{GRAPH.replace('&', '&amp;')}|" in root

        # Alertmanager resolves the group: a note in the thread, the root says so, the agent is not stopped.
        await _post(alertmanager, _alerts(ends=datetime.now(UTC) - timedelta(seconds=1)))
        await world.slack.wait_for(lambda s: any("Alertmanager says the alert resolved" in block_text(m)
                                                 for m in thread(world, root_ts)), timeout=TIMEOUT)  # fmt: skip
        assert "Resolved upstream" in block_text(_roots(world)[0])
        assert not sent_events(world, run.session_id, "user.interrupt")
        assert not run.state.finished and run.state.stopped_by is None
        brain.release.set()
        await run.wait_finished(timeout=TIMEOUT)
        assert "Resolved upstream" in block_text(_roots(world)[0])
    finally:
        await world.stop()
