"""The live-metrics world: an exporter serving checkout's p99 latency, the real Prometheus scraping it every second
with an alerting rule, the real Alertmanager posting its webhook to the bot, checkout's logs in the Loki stand-in (no
Loki installs here), and the demo world whose bot queries them. A "deploy" of incident-2277's N+1 commit makes the
latency degrade and the logs fill with per-row queries; a rollback makes it recover. Used by
`python -m bot demo --live-metrics` and the end-to-end tests in tests/live."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from bot.demo.world import DemoWorld, start_world
from bot.settings import REPO_ROOT
from standins.loki import LokiStandin
from standins.observability import (AlertmanagerServer, Exporter, MissingBinary, PrometheusServer, find_binary,
                                    free_port, start_alertmanager, start_prometheus,
                                    webhook_receiver_config)  # fmt: skip

__all__ = ["BASELINE", "DEGRADED", "MEASURE", "THRESHOLD", "LiveMetrics", "missing_binaries", "start_live_metrics"]

MEASURE = 'request_latency_p99_seconds{service="checkout"}'
THRESHOLD, BASELINE, DEGRADED = 0.5, 0.08, 2.4  # seconds: the rule's level, checkout's p99 before and after the deploy
TOKEN = "live-metrics-demo-token"
SOURCE = REPO_ROOT / "fixtures" / "incident-2277"
SUSPECT = "d-9097"  # the N+1 commit's deploy in incident-2277
_BASELINE_SAMPLES = 4  # scrapes Prometheus holds at the baseline before the deploy (the investigator's "before")
STREAM = {"service": "checkout", "namespace": "shop"}  # checkout's log stream in Loki
_PER_ROW = "db query: SELECT id, sku, quantity FROM order_items WHERE order_id = %s"
_RULES = {"groups": [{"name": "checkout", "rules": [{
    "alert": "CheckoutLatencyHigh", "expr": f"{MEASURE} > {THRESHOLD}", "for": "0s",
    "labels": {"severity": "page", "namespace": "shop"},
    "annotations": {"summary": "checkout p99 latency is above 500 ms",
                    "description": "checkout p99 is {{ $value | humanizeDuration }} (rule: p99 > 500 ms)"},
}]}]}  # fmt: skip


def missing_binaries() -> list[str]:
    """The Debian packages this world needs that are not installed (empty when it can run)."""
    missing = []
    for binary in ("prometheus", "prometheus-alertmanager"):
        try:
            find_binary(binary)
        except MissingBinary:
            missing.append(binary)
    return missing


def _incident_folder(folder: Path) -> Path:
    """incident-2277's repository, runbooks and suspect diff, with no logs or canned metrics: the numbers are live."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(SOURCE, folder, ignore=shutil.ignore_patterns("logs", "metrics.json", "generate.py", "alert.json"))
    incident = json.loads((folder / "incident.json").read_text())
    incident.update(id="live-checkout-latency", title="checkout p99 latency (live metrics)")
    (folder / "incident.json").write_text(json.dumps(incident))
    _write_deploys(folder, deployed=None)
    return folder


def _write_deploys(folder: Path, *, deployed: datetime | None) -> None:
    """The deploy history: the other services' deploys earlier on, and checkout's N+1 deploy once it happened."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    history = []
    for number, deploy in enumerate(json.loads((SOURCE / "deploys.json").read_text())):
        if deploy["id"] == SUSPECT and deployed is None:
            continue
        at = deployed if deploy["id"] == SUSPECT else now - timedelta(minutes=25 * (number + 1))
        history.append({**deploy, "deployed_at": at.isoformat(timespec="seconds").replace("+00:00", "Z")})
    history.sort(key=lambda d: d["deployed_at"], reverse=True)
    (folder / "deploys.json").write_text(json.dumps(history, indent=2))


@dataclass
class LiveMetrics:
    """The running live-metrics world; `world` is the demo world (stand-ins and the bot)."""

    world: DemoWorld
    exporter: Exporter
    prometheus: PrometheusServer
    alertmanager: AlertmanagerServer
    incident_dir: Path
    latency: Any  # the exporter's gauge child for checkout
    loki: LokiStandin
    deployed_at: datetime | None = None

    async def deploy(self) -> None:
        """Deploy incident-2277's N+1 commit to checkout: the deploy is recorded, then its p99 degrades and its logs
        show a query per order row and the pool running out."""
        self.deployed_at = now = datetime.now(timezone.utc)
        await asyncio.to_thread(_write_deploys, self.incident_dir, deployed=now)
        self.latency.set(DEGRADED)
        lines = [(now, "checkout 2.19.0 started (commit a3f9c21)")]
        lines += [(now + timedelta(milliseconds=10 * i), _PER_ROW) for i in range(1, 41)]
        lines += [(now + timedelta(milliseconds=400 + 10 * i),
                   "ERROR db: connection pool exhausted (20/20 in use), waited 2000 ms") for i in range(12)]  # fmt: skip
        self.loki.push(STREAM, lines)

    async def roll_back(self) -> None:
        """Checkout is fast again (the fix rolled out): the rule stops firing and Alertmanager resolves the alert."""
        self.latency.set(BASELINE)

    async def held(self, expr: str) -> list[dict[str, Any]]:
        """An instant query straight to Prometheus (not through the bot)."""
        return await self.prometheus.query(expr)

    async def stop(self) -> None:
        """Stop the bot and the stand-ins, then the servers and the exporter."""
        try:
            await self.world.stop()
        finally:
            await self.alertmanager.stop()
            await self.prometheus.stop()
            await self.exporter.stop()
            await self.loki.stop()


async def start_live_metrics(work_dir: Path, **options: Any) -> LiveMetrics:
    """Start the exporter at checkout's baseline, Alertmanager, Prometheus (with the rule) and the demo world whose bot
    takes Alertmanager's webhook and queries Prometheus; return once Prometheus holds the baseline. `options` go to
    start_world (pace, brain, slack_port, …)."""
    servers = work_dir / "servers"
    incident_dir = await asyncio.to_thread(_incident_folder, work_dir / "live-incident")
    exporter, loki = Exporter(), LokiStandin()
    started: list[Any] = []  # each has stop(), stopped newest first if the start fails
    try:
        await loki.start()
        started.append(loki)
        loki.push(STREAM, [(datetime.now(timezone.utc), "GET /checkout 200 in 80 ms")])
        target = await exporter.start()
        started.append(exporter)
        latency = exporter.gauge("request_latency_p99_seconds", "checkout p99 latency", ["service"]).labels("checkout")
        latency.set(BASELINE)
        webhook_port = free_port()  # Alertmanager is told where the bot will listen before the bot starts
        hook = f"http://127.0.0.1:{webhook_port}/webhooks/alertmanager"
        config = webhook_receiver_config(hook, token=TOKEN, group_wait="0s", group_interval="1s", repeat_interval="1h")
        alertmanager = await start_alertmanager(servers / "alertmanager", config=config)
        started.append(alertmanager)
        prometheus = await start_prometheus(servers / "prometheus", targets=[target], rules=yaml.safe_dump(_RULES),
                                            alertmanagers=[f"127.0.0.1:{alertmanager.port}"])  # fmt: skip
        started.append(prometheus)
        world = await start_world(incident_dir=incident_dir, work_dir=work_dir, webhook_port=webhook_port,
                                  webhook_host="127.0.0.1", alertmanager_token=TOKEN, prometheus_url=prometheus.url,
                                  loki_url=loki.url, **options)  # fmt: skip
        started.append(world)
        await prometheus.wait_for(f"count_over_time({MEASURE}[1m])",
                                  lambda s: bool(s) and float(s[0]["value"][1]) >= _BASELINE_SAMPLES)  # fmt: skip
    except BaseException:
        for server in reversed(started):
            await server.stop()
        raise
    return LiveMetrics(world, exporter, prometheus, alertmanager, incident_dir, latency, loki)
