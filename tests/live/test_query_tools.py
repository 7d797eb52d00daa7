"""query_prometheus through the real bot against a real Prometheus: a PromQL syntax error comes back as a tool error
carrying Prometheus' own message, thousands of series come back bounded, a Prometheus stopped mid-incident is an
error result; the incident goes on each time."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.demo import ONCALL, YOU, start_world
from bot.sources import Caps
from standins.managed_agents.testing import ScriptedBrain
from tests.e2e.conftest import FIXTURES
from tests.e2e.helpers import block_text, open_incident, thread
from tests.support.exporter import Exporter
from tests.support.servers import PrometheusServer

TIMEOUT = 30


async def _world(tmp_path: Path, prometheus: PrometheusServer, brain: ScriptedBrain):
    return await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", brain=brain,
                             prometheus_url=prometheus.url)  # fmt: skip


@pytest.mark.slow
async def test_a_broken_query_and_a_huge_one_are_answered_and_the_incident_goes_on(
    tmp_path: Path, exporter: Exporter, prometheus: PrometheusServer
) -> None:
    depth = exporter.gauge("checkout_shard_queue_depth", "queue depth per shard", ["shard"])
    for shard in range(3000):
        depth.labels(f"{shard:04d}").set(shard)
    await prometheus.wait_for("count(checkout_shard_queue_depth)", lambda s: bool(s) and s[0]["value"][1] == "3000")
    answers: dict[str, Any] = {}
    brain = ScriptedBrain()

    async def first(ctx, message):
        answers["broken"] = await ctx.call_tool("query_prometheus", {"query": "rate(checkout_shard_queue_depth[5m]"})
        answers["huge"] = await ctx.call_tool("query_prometheus", {"query": "checkout_shard_queue_depth", "minutes": 2})
        await ctx.say("Both answered; going on.")

    brain.first = first
    world = await _world(tmp_path, prometheus, brain)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout queues are backing up")
        await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()

    broken = json.loads(answers["broken"].text)
    now = time.time()  # what Prometheus itself says to the same range query
    asked = {"query": "rate(checkout_shard_queue_depth[5m]", "start": now - 3600, "end": now, "step": 30}
    async with aiohttp.ClientSession() as http, http.post(f"{prometheus.url}/api/v1/query_range", data=asked) as r:
        said = await r.json()
    assert answers["broken"].is_error and broken["errorType"] == "bad_data" and broken["error"] == said["error"]
    huge = json.loads(answers["huge"].text)
    assert not answers["huge"].is_error and huge["truncated"] is True and huge["series_total"] == 3000
    assert huge["series_returned"] <= Caps().max_series and len(answers["huge"].text.encode()) <= Caps().max_bytes
    assert "Both answered" in "\n".join(block_text(m) for m in thread(world, root_ts))


async def test_prometheus_stopped_mid_incident_is_an_error_result_and_the_incident_goes_on(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    answers: dict[str, Any] = {}
    brain = ScriptedBrain()

    async def first(ctx, message):
        answers["before"] = await ctx.call_tool("query_prometheus", {"query": "vector(1)", "minutes": 1})
        await brain.release.wait()
        answers["after"] = await ctx.call_tool("query_prometheus", {"query": "vector(1)", "minutes": 1})
        await ctx.say("Prometheus is gone; I go on with what I have.")

    brain.first = first
    world = await _world(tmp_path, prometheus, brain)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout is slow")
        await world.agents.wait_for(lambda a: "before" in answers, timeout=TIMEOUT)
        await prometheus.stop()
        brain.release.set()
        await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()
    assert not answers["before"].is_error and json.loads(answers["before"].text)["series"][0]["points"][-1][1] == 1
    after = json.loads(answers["after"].text)
    assert answers["after"].is_error and after["errorType"] == "unreachable" and prometheus.url in after["error"]
    assert "I go on with what I have" in "\n".join(block_text(m) for m in thread(world, root_ts))
    assert world.slack.messages(ONCALL)
