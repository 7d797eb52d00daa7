"""/livez and /readyz, probed over HTTP as the kubelet does, on the real bot against the stand-ins."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.app import build_bot
from bot.demo import DemoWorld, start_standins, start_world

from tests.ops.conftest import OOM
from tests.ops.probes import probe

CHECKS = {"accepting", "slack", "provisioned", "managed_agents"}


async def test_readyz_is_503_until_the_bot_is_connected_to_slack_then_200(tmp_path: Path) -> None:
    stage = await start_standins(incident_dir=OOM, work_dir=tmp_path / "work", health_port=0)
    bot = build_bot(stage.settings)
    # Slack's Tier 1 limit on apps.connections.open holds the connection back for two seconds.
    stage.slack.fail_next("apps.connections.open", status=429, retry_after=2)
    starting = asyncio.create_task(bot.start())
    try:
        await stage.slack.wait_for(
            lambda s: any(c.method == "apps.connections.open" and c.status == 429 for c in s.calls), timeout=30)
        assert bot.health_port is not None
        status, body = await probe(bot.health_port, "/readyz")
        assert status == 503 and body["ready"] is False
        assert set(body["checks"]) == CHECKS
        assert body["checks"]["slack"]["ok"] is False and "not connected" in body["checks"]["slack"]["detail"]
        assert all(body["checks"][name]["ok"] for name in CHECKS - {"slack"}), body
        status, live = await probe(bot.health_port, "/livez")
        assert status == 200 and live["live"] is True  # starting is not dying

        await asyncio.wait_for(starting, 30)
        status, body = await probe(bot.health_port, "/readyz")
        assert status == 200 and body["ready"] is True, body
        assert body["checks"]["slack"] == {"ok": True, "detail": "connected over Socket Mode"}
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await bot.stop()
        await stage.stop()


async def test_readyz_names_the_managed_agents_api_when_it_does_not_answer(world: DemoWorld) -> None:
    port = world.bot.health_port
    assert port is not None
    world.agents.fail_next("GET", r"/v1/agents", 503, count=1)
    status, body = await probe(port, "/readyz")
    assert status == 503
    assert body["checks"]["managed_agents"]["ok"] is False
    assert "503" in body["checks"]["managed_agents"]["detail"]
    assert all(body["checks"][name]["ok"] for name in CHECKS - {"managed_agents"}), body
    status, body = await probe(port, "/readyz")  # the API answers again: ready again, nothing cached
    assert status == 200, body


async def test_livez_fails_while_something_blocks_the_event_loop_and_recovers(tmp_path: Path) -> None:
    world = await start_world(incident_dir=OOM, work_dir=tmp_path / "work", health_port=0, liveness_max_lag=0.3)
    port = world.bot.health_port
    assert port is not None
    try:
        status, body = await probe(port, "/livez")
        assert status == 200 and body["live"] is True

        async def blocking_bug() -> None:  # a synchronous call on the loop, over and over
            while True:
                time.sleep(0.8)
                await asyncio.sleep(0.01)

        hog = asyncio.create_task(blocking_bug())
        try:
            status, body = await probe(port, "/livez")
            assert status == 503 and body["live"] is False and body["loop_lag_seconds"] > 0.3, body
        finally:
            hog.cancel()
            await asyncio.gather(hog, return_exceptions=True)
        assert await _until_live(port, within=5.0)
    finally:
        await world.stop()


async def _until_live(port: int, *, within: float) -> bool:
    """Probe until /livez answers 200, as the kubelet would every period."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status, _ = await probe(port, "/livez")
        if status == 200:
            return True
        await asyncio.sleep(0.1)  # the probe period
    return False
