"""PrometheusSource against a real Prometheus (Debian's binary) scraping an exporter the test controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from bot.sources import Caps, PrometheusSource, SourceError
from bot.sources.bounded import size
from tests.support.exporter import Exporter
from tests.support.servers import PrometheusServer

LATENCY = 'checkout_latency_seconds{service="checkout"}'


async def _raw(prometheus: PrometheusServer, path: str, **form: Any) -> tuple[int, dict[str, Any]]:
    """Prometheus' own answer, asked directly (not through the bot)."""
    async with aiohttp.ClientSession() as http, http.post(prometheus.url + path, data=form) as resp:
        return resp.status, await resp.json()


def _at(samples: list[dict[str, Any]], value: str) -> bool:
    return bool(samples) and samples[0]["value"][1] == value


@pytest.mark.slow
async def test_a_query_answers_the_numbers_prometheus_holds(exporter: Exporter, prometheus: PrometheusServer) -> None:
    latency = exporter.gauge("checkout_latency_seconds", "p99 latency", ["service"]).labels("checkout")
    latency.set(0.25)
    await prometheus.wait_for(LATENCY, lambda s: _at(s, "0.25"))
    latency.set(1.75)
    await prometheus.wait_for(LATENCY, lambda s: _at(s, "1.75"))

    async with PrometheusSource(prometheus.url) as source:
        answer = await source.query_range(LATENCY, minutes=2, step=1)

    status, held = await _raw(prometheus, "/api/v1/query_range", query=LATENCY, start=answer["start"],
                              end=answer["end"], step=1)  # fmt: skip
    assert status == 200
    (series,) = held["data"]["result"]
    assert answer["series_total"] == answer["series_returned"] == 1 and answer["truncated"] is False
    (got,) = answer["series"]
    assert got["labels"] == {"__name__": "checkout_latency_seconds", "service": "checkout", "job": "exporter",
                             "instance": exporter.target}  # fmt: skip
    assert got["points"] == [[t, float(v)] for t, v in series["values"]]  # numbers as numbers, every point
    assert all(isinstance(t, int) for t, _ in got["points"])  # whole seconds
    values = [v for _, v in got["points"]]
    assert values[-1] == 1.75 and values.index(0.25) < values.index(1.75)
    assert answer["points_kept"] == answer["points_total"] == len(values)
    assert answer["step"] == 1 and answer["query"] == LATENCY
    window = datetime.fromisoformat(answer["end"]) - datetime.fromisoformat(answer["start"])
    assert window == timedelta(minutes=2)


async def test_a_promql_syntax_error_carries_prometheus_own_message(prometheus: PrometheusServer) -> None:
    broken = "rate(checkout_latency_seconds[5m]"
    async with PrometheusSource(prometheus.url) as source:
        with pytest.raises(SourceError) as caught:
            await source.query_range(broken, minutes=5)
    now = datetime.now(UTC).timestamp()
    status, said = await _raw(prometheus, "/api/v1/query_range", query=broken, start=now - 300, end=now, step=5)
    assert (status, said["errorType"]) == (400, "bad_data")
    error = caught.value
    assert error.as_dict() == {"error": said["error"], "errorType": "bad_data", "source": "prometheus", "status": 400}
    assert "parse error" in error.message


@pytest.mark.slow
async def test_an_execution_error_and_prometheus_own_timeout_are_typed(prometheus: PrometheusServer) -> None:
    await prometheus.wait_for('count({job="exporter"})', lambda s: bool(s) and float(s[0]["value"][1]) > 1)
    async with PrometheusSource(prometheus.url) as source:
        with pytest.raises(SourceError) as caught:  # many series on one side of a one-to-one match
            await source.query_range('{job="exporter"} * on() group_left {job="exporter"}', minutes=1)
    assert (caught.value.error_type, caught.value.status) == ("execution", 422)
    assert "duplicate series" in caught.value.message

    async with PrometheusSource(prometheus.url, eval_timeout=1e-6) as impatient:
        with pytest.raises(SourceError) as caught:
            await impatient.query_range('count_over_time({job="exporter"}[1m])', minutes=1)
    assert (caught.value.error_type, caught.value.status) == ("timeout", 503)
    assert caught.value.message.startswith("query timed out")  # Prometheus' words, not ours


async def test_prometheus_stopped_mid_incident_is_an_unreachable_error(prometheus: PrometheusServer) -> None:
    async with PrometheusSource(prometheus.url) as source:
        first = await source.query_range("vector(1)", minutes=1)
        assert first["series"][0]["points"][-1][1] == 1
        await prometheus.stop()
        with pytest.raises(SourceError) as caught:
            await source.query_range("vector(1)", minutes=1)
    assert caught.value.error_type == "unreachable" and caught.value.status is None
    assert prometheus.url in caught.value.message


async def test_a_hung_prometheus_is_our_own_timeout(prometheus: PrometheusServer) -> None:
    prometheus.pause()
    try:
        async with PrometheusSource(prometheus.url, timeout=1.0) as source:
            with pytest.raises(SourceError) as caught:
                await source.query_range("vector(1)", minutes=1)
    finally:
        prometheus.resume()
    assert caught.value.error_type == "timeout" and caught.value.status is None
    assert "did not answer within 1 s" in caught.value.message


@pytest.mark.slow
async def test_thousands_of_series_come_back_bounded_with_true_totals(exporter: Exporter,
                                                                      prometheus: PrometheusServer) -> None:
    depth = exporter.gauge("checkout_shard_queue_depth", "queue depth per shard", ["shard"])
    for shard in range(3000):
        depth.labels(f"{shard:04d}").set(shard)
    await prometheus.wait_for("count(checkout_shard_queue_depth)", lambda s: _at(s, "3000"))
    # A window reaching a minute ahead: Prometheus carries each series' last sample forward (its 5-minute
    # lookback), so every series has dozens of points without waiting for dozens of scrapes.
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=60)

    async with PrometheusSource(prometheus.url) as source:
        answer = await source.query_range("checkout_shard_queue_depth", minutes=1, end=end)
    async with PrometheusSource(prometheus.url, caps=Caps(max_series=5, max_points=10)) as narrow:
        small = await narrow.query_range("checkout_shard_queue_depth", minutes=1, step=1, end=end)

    _, held = await _raw(prometheus, "/api/v1/query_range", query="checkout_shard_queue_depth",
                         start=end.timestamp() - 60, end=end.timestamp(), step=answer["step"])  # fmt: skip
    everything = held["data"]["result"]
    assert len(everything) == 3000
    assert answer["truncated"] is True
    assert (answer["series_returned"], answer["series_total"]) == (Caps().max_series, 3000)
    assert answer["points_total"] == sum(len(s["values"]) for s in everything)
    assert answer["points_kept"] == sum(len(s["points"]) for s in answer["series"])
    assert [s["labels"]["shard"] for s in answer["series"]] == [s["metric"]["shard"] for s in everything[:20]]
    assert size(answer) <= Caps().max_bytes
    assert "showing 20 of 3000 series" in answer["note"]

    assert (small["series_returned"], small["series_total"]) == (5, 3000)
    for got, full in zip(small["series"], everything, strict=False):
        assert len(got["points"]) == 10 and got["points_total"] == len(full["values"]) > 10
        assert got["points"][0] == [full["values"][0][0], float(full["values"][0][1])]  # evenly: first and last kept
        assert got["points"][-1] == [full["values"][-1][0], float(full["values"][-1][1])]


@pytest.mark.slow
async def test_the_alerts_own_graph_is_evaluated_around_its_start(exporter: Exporter,
                                                                   prometheus: PrometheusServer) -> None:
    exporter.gauge("checkout_latency_seconds", "p99 latency", ["service"]).labels("checkout").set(0.5)
    await prometheus.wait_for(LATENCY, lambda s: _at(s, "0.5"))
    expr = 'checkout_latency_seconds{service="checkout"} > 0.3'
    # The URL names Prometheus' external host, which the bot may not reach: only the expression is used.
    url = f"http://prometheus.internal:9090/graph?g0.expr={quote(expr)}&g0.tab=1"
    started = datetime.now(UTC) - timedelta(seconds=20)

    async with PrometheusSource(prometheus.url) as source:
        answer = await source.evaluate_generator_url(url, at=started, minutes_before=1, minutes_after=10)

    assert answer["expr"] == expr
    assert answer["alert_start"] == started.isoformat(timespec="seconds").replace("+00:00", "Z")
    # Clamped to now (rounded up to the second), not 10 minutes ahead.
    assert datetime.fromisoformat(answer["end"]) <= datetime.now(UTC) + timedelta(seconds=1)
    (series,) = answer["series"]
    assert series["labels"]["service"] == "checkout" and {v for _, v in series["points"]} == {0.5}


async def test_check_and_the_tool_interface(prometheus: PrometheusServer) -> None:
    async with PrometheusSource(prometheus.url) as source:
        assert await source.check() == f"Prometheus at {prometheus.url} answers queries"
        answer = await source.run_tool({"query": "vector(7)", "minutes": 5, "step": "30s"})
        assert answer["step"] == 30 and answer["series"][0]["points"][-1][1] == 7
        assert len(answer["series"][0]["points"]) == 11
        assert source.tool["name"] == "query_prometheus"
        assert source.tool["input_schema"]["required"] == ["query"]
