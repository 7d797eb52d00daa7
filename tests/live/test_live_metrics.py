"""The whole pipeline on real servers: an exporter's checkout latency degrades after a deploy, the real Prometheus
scrapes it every second and its alerting rule fires, the real Alertmanager posts its webhook to the bot, the incident
opens in #oncall, the offline investigator queries query_prometheus and states the numbers Prometheus holds (and reads
checkout's logs with query_logs), opens the revert, an approver approves, it merges; the latency recovers and
Alertmanager's resolved notification shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from blocks.ids import ActionId
from bot.demo import ONCALL, YOU
from bot.demo.live_metrics import MEASURE, start_live_metrics
from standins.managed_agents.investigator_live import shown
from tests.e2e.helpers import block_text, local_prs, thread, wait_for_card

pytestmark = pytest.mark.slow

TIMEOUT = 60


def _roots(world) -> list[dict[str, Any]]:
    return [m for m in world.slack.messages(ONCALL) if m.get("subtype") != "thread_broadcast"]


def _text(event: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in event.get("content", []))


async def test_a_live_latency_alert_is_investigated_on_prometheus_fixed_and_resolved(tmp_path: Path) -> None:
    live = await start_live_metrics(tmp_path / "work")
    world = live.world
    try:
        await live.deploy()
        await world.slack.wait_for(lambda s: len(_roots(world)) == 1, timeout=TIMEOUT)
        root_ts = _roots(world)[0]["ts"]
        card = await wait_for_card(world, root_ts, timeout=TIMEOUT)
        run = world.bot.incidents.find_by_thread(ONCALL, root_ts)

        # The agent got the alert's own graph at once, and its scope.
        first = _text(next(e for e in world.agents.sessions[run.session_id].events if e["type"] == "user.message"))
        graph = json.loads(re.search(r"The alert's own graph.*?<<<EVIDENCE\n(.*?)\nEVIDENCE>>>", first, re.S).group(1))
        assert graph["expr"] == f"{MEASURE} > 0.5" and graph["series"][0]["points"][-1][1] == 2.4
        scope = re.search(r"<<<SCOPE\n(.*?)\nSCOPE>>>", first, re.S).group(1).splitlines()
        assert {"service=checkout", "namespace=shop", "job=exporter", f"instance={live.exporter.target}"} <= set(scope)

        # It queried Prometheus through the bot, and states the numbers Prometheus holds.
        queries = [c for c in run.state.tools.values() if c.name == "query_prometheus"]
        assert queries and all(c.answered and not c.is_error for c in queries)
        assert {c.input["query"] for c in queries} == {MEASURE}
        [low] = await live.held(f"min_over_time({MEASURE}[10m])")
        [high] = await live.held(f"max_over_time({MEASURE}[10m])")
        said = "\n".join(block_text(m) for m in thread(world, root_ts))
        findings = next(line for line in said.splitlines() if "Root cause:" in line)
        for value in (low["value"][1], high["value"][1]):
            assert shown(MEASURE, float(value)) in findings, (value, findings)
        assert "a3f9c21" in findings and "d-9097" in findings
        # And it read checkout's logs in Loki (the stand-in: no Loki installs here) through query_logs.
        [logs] = [c for c in run.state.tools.values() if c.name == "query_logs"]
        assert logs.answered and not logs.is_error and "12 of them say `connection pool exhausted`" in said

        # The root links to the alert in Alertmanager and to the rule's graph in Prometheus.
        root = block_text(_roots(world)[0])
        assert f"<{live.alertmanager.url}/#/alerts?receiver=bot|Alert>" in root
        assert f"|Graph> (127.0.0.1:{live.prometheus.port})" in root

        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await world.slack.wait_for(lambda s: any(pr.merged for pr in run.state.prs.values()), timeout=TIMEOUT)
        repo = local_prs(world).repo_path(run.session_id)
        assert "WHERE order_id IN" in (repo / "services/checkout/order_repository.py").read_text()

        # The fix rolls out: the rule stops firing and Alertmanager's resolved notification reaches the incident.
        await live.roll_back()
        await world.slack.wait_for(lambda s: "Resolved upstream" in block_text(_roots(world)[0]), timeout=TIMEOUT)
        await run.wait_finished(timeout=TIMEOUT)
        assert len(_roots(world)) == 1
    finally:
        await live.stop()
