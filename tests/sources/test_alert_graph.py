"""The alert's own graph: its generatorURL's expression evaluated on the configured (real) Prometheus around the
alert's start, bounded; a failure is said in the evidence, never stops the incident."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from bot.alerts import parse_alertmanager_webhook
from bot.sources import PrometheusSource
from bot.sources.alert_graph import GRAPH_BYTES, alert_graph, gather_alert_graph
from bot.sources.registry import Providers
from tests.support.exporter import Exporter
from tests.support.servers import PrometheusServer


def _alert(expr: str, *, started: datetime) -> dict[str, Any]:
    """The payload of Alertmanager's notification for one alert whose rule has this expression (the URL names another
    host), as the webhook parses it."""
    labels = {"alertname": "CheckoutLatencyHigh", "service": "checkout", "namespace": "shop", "job": "exporter"}
    alert = {"status": "firing", "labels": labels, "annotations": {}, "fingerprint": "00ab",
             "startsAt": started.isoformat().replace("+00:00", "Z"), "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": f"http://prometheus.internal:9090/graph?g0.expr={quote(expr, safe='')}&g0.tab=1"}  # fmt: skip
    body = {"version": "4", "status": "firing", "receiver": "bot", "groupKey": "{}:{alertname=\"x\"}",
            "groupLabels": {"alertname": "CheckoutLatencyHigh"}, "commonLabels": labels, "commonAnnotations": {},
            "externalURL": "http://am.internal:9093", "alerts": [alert]}  # fmt: skip
    [parsed] = parse_alertmanager_webhook(body)
    return parsed.payload or {}


@pytest.mark.slow
async def test_the_alerts_expression_is_evaluated_around_its_start(exporter: Exporter,
                                                                   prometheus: PrometheusServer) -> None:
    latency = exporter.gauge("checkout_p99_seconds", "p99 latency", ["service"]).labels("checkout")
    latency.set(0.08)
    await prometheus.wait_for("checkout_p99_seconds", lambda s: bool(s) and s[0]["value"][1] == "0.08")
    latency.set(1.9)
    [held] = await prometheus.wait_for("checkout_p99_seconds", lambda s: bool(s) and s[0]["value"][1] == "1.9")
    payload = _alert("checkout_p99_seconds > 0.5", started=datetime.now(UTC) - timedelta(seconds=2))

    async with PrometheusSource(prometheus.url) as source:
        [(title, data)] = (await gather_alert_graph(payload, Providers([source]))).sections

    assert title.startswith("The alert's own graph") and "30 minutes before the alert started" in title
    graph = json.loads(data)
    assert graph["expr"] == "checkout_p99_seconds > 0.5"  # only the expression: the host it named is not asked
    [series] = graph["series"]  # the newest sample is in: the window ends on a step
    assert series["labels"]["service"] == "checkout" and series["points"][-1][1] == float(held["value"][1]) == 1.9
    assert 0.08 not in [v for _, v in series["points"]]  # the expression's own filter held: only the alert's side


@pytest.mark.slow
async def test_an_expression_over_thousands_of_series_is_bounded(exporter: Exporter,
                                                                 prometheus: PrometheusServer) -> None:
    depth = exporter.gauge("checkout_shard_queue_depth", "queue depth per shard", ["shard"])
    for shard in range(3000):
        depth.labels(f"{shard:04d}").set(shard)
    await prometheus.wait_for("count(checkout_shard_queue_depth)", lambda s: bool(s) and s[0]["value"][1] == "3000")
    payload = _alert("checkout_shard_queue_depth >= 0", started=datetime.now(UTC) - timedelta(minutes=5))
    async with PrometheusSource(prometheus.url) as source:
        _, data = await alert_graph(payload, source)
    graph = json.loads(data)
    assert len(data.encode()) <= GRAPH_BYTES
    assert graph["truncated"] is True and graph["series_total"] == 3000 and 1 <= graph["series_returned"] <= 10


async def test_a_broken_expression_or_a_stopped_prometheus_is_said_not_raised(prometheus: PrometheusServer) -> None:
    started = datetime.now(UTC) - timedelta(minutes=1)
    async with PrometheusSource(prometheus.url) as source:
        title, broken = await alert_graph(_alert("rate(checkout_p99_seconds[5m]", started=started), source)
        assert "could not evaluate" in title and json.loads(broken)["errorType"] == "bad_data"
        assert "parse error" in json.loads(broken)["error"]  # Prometheus' own words
        await prometheus.stop()
        _, stopped = await alert_graph(_alert("vector(1)", started=started), source)
        assert json.loads(stopped)["errorType"] == "unreachable"


async def test_no_graph_link_or_no_prometheus_gives_nothing() -> None:
    payload = _alert("vector(1)", started=datetime.now(UTC))
    assert (await gather_alert_graph(payload, Providers())).sections == ()
    async with PrometheusSource("http://127.0.0.1:9") as source:
        assert await alert_graph({"source": "text", "text": "disk full"}, source) is None
        assert await alert_graph(None, source) is None
        hostile = {**payload, "generatorURL": "javascript:alert(1)//?g0.expr=up", "alerts": []}
        assert await alert_graph(hostile, source) is None  # a link from alert data is taken only if it is http(s)
