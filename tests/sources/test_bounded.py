"""The caps, downsampling, numbers and input checks shared by the evidence sources (pure functions)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bot.sources import Caps, PrometheusSource, SourceError
from bot.sources.bounded import evenly, number, shape_matrix, size
from bot.sources.inputs import InputError, duration_seconds, integer
from bot.sources.prometheus import PROMETHEUS_MAX_POINTS, auto_step, generator_expression

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a check that needed a request would fail as "unreachable"


def test_downsampling_is_even_and_keeps_both_ends() -> None:
    items = list(range(1001))
    kept = evenly(items, 11)
    assert kept == list(range(0, 1001, 100))
    assert evenly(items[:5], 11) == items[:5]
    assert evenly(items, 2) == [0, 1000]


def test_sample_values_become_json_numbers() -> None:
    assert [number("0.25"), number("3"), number("-1e3"), number("1.5e-7")] == [0.25, 3, -1000, 1.5e-7]
    assert number("NaN") is None and number("+Inf") == "+Inf" and number("-Inf") == "-Inf"


def _matrix(series: int, points: int, *, label: str = "x") -> list[dict]:
    return [{"metric": {"__name__": "m", "shard": f"{i:05d}", "note": label},
             "values": [[1_700_000_000 + t, str(i * 0.5)] for t in range(points)]} for i in range(series)]  # fmt: skip


def test_a_matrix_over_the_caps_is_cut_with_true_totals() -> None:
    caps = Caps(max_series=3, max_points=4, max_bytes=100_000)
    answer = shape_matrix(_matrix(10, 9), caps, {"query": "m"}, hint="narrow it")
    assert answer["truncated"] is True
    assert (answer["series_returned"], answer["series_total"]) == (3, 10)
    assert (answer["points_kept"], answer["points_total"]) == (12, 90)
    first = answer["series"][0]
    assert first["points"] == [[1_700_000_000, 0], [1_700_000_003, 0], [1_700_000_005, 0], [1_700_000_008, 0]]
    assert first["points_total"] == 9
    assert answer["note"] == "showing 3 of 10 series; narrow it"


def test_a_matrix_within_the_caps_is_whole() -> None:
    answer = shape_matrix(_matrix(2, 3), Caps(), {"query": "m"}, hint="")
    assert answer["truncated"] is False and "note" not in answer
    assert (answer["series_returned"], answer["points_kept"], answer["points_total"]) == (2, 6, 6)
    assert "points_total" not in answer["series"][0]


def test_the_byte_cap_sheds_series_and_long_labels_are_cut() -> None:
    caps = Caps(max_series=50, max_points=20, max_bytes=5_000, max_label_chars=50)
    answer = shape_matrix(_matrix(50, 20, label="y" * 500), caps, {"query": "m"}, hint="narrow it")
    assert size(answer) <= 5_000
    assert 0 < answer["series_returned"] < 50 and answer["series_total"] == 50 and answer["truncated"]
    assert all(len(s["labels"]["note"]) == 50 and s["labels_cut"] for s in answer["series"])
    assert answer["points_kept"] == 20 * answer["series_returned"]


@pytest.mark.parametrize("minutes", [1, 5, 60, 24 * 60, 7 * 24 * 60])
def test_the_chosen_step_keeps_points_within_the_cap(minutes: int) -> None:
    for cap in (2, 10, 150, 11_000):
        step = auto_step(minutes * 60, cap)
        assert math.floor(minutes * 60 / step) + 1 <= min(cap, PROMETHEUS_MAX_POINTS)
    assert auto_step(3600, 150) == 30 and auto_step(300, 150) == 5


def test_durations_and_whole_numbers_are_read_strictly() -> None:
    assert [duration_seconds(v, name="step") for v in (30, "15", "30s", "5m", "1h30m", "1d", "250ms")] == \
        [30, 15, 30, 300, 5400, 86400, 0.25]  # fmt: skip
    for bad in ("", "5 minutes", "-1", 0, True, None, "1x"):
        with pytest.raises(InputError):
            duration_seconds(bad, name="step")
    assert integer("15", name="minutes", default=60, low=1, high=100) == 15
    assert integer(None, name="minutes", default=60, low=1, high=100) == 60
    for bad in (0, 101, 2.5, "ten", True, [5]):
        with pytest.raises(InputError, match="minutes must be a whole number from 1 to 100"):
            integer(bad, name="minutes", default=60, low=1, high=100)


def test_a_generator_url_gives_its_expression() -> None:
    url = "http://prom:9090/graph?g0.expr=sum%28rate%28http_errors_total%5B5m%5D%29%29+%3E+0.1&g0.tab=1"
    assert generator_expression(url) == "sum(rate(http_errors_total[5m])) > 0.1"
    with pytest.raises(InputError, match="no g0.expr"):
        generator_expression("http://prom:9090/alerts")


@pytest.mark.parametrize(("arguments", "message"), [
    ({}, "query must be a non-empty PromQL string"),
    ({"query": "   "}, "query must be a non-empty PromQL string"),
    ({"query": "up" * 2001}, "at most 4000"),
    ({"query": "up", "minutes": 0}, "minutes must be a whole number from 1 to 10080"),
    ({"query": "up", "minutes": 10081}, "minutes must be a whole number"),
    ({"query": "up", "step": "0.5s"}, "step must be seconds or a duration"),
    ({"query": "up", "step": 0.5}, "step must be at least 1 s"),
    ({"query": "up", "minutes": 5, "step": "10m"}, "longer than the 5-minute window"),
    ({"query": "up", "minutes": 10080, "step": 1}, "Prometheus refuses more than 11,000: use a step of at least 55 s"),
    ({"query": "up", "range": 5}, "unknown argument(s) range; query_prometheus takes query, minutes, step"),
])  # fmt: skip
async def test_bad_arguments_are_refused_before_any_request(arguments: dict, message: str) -> None:
    async with PrometheusSource(NOWHERE) as source:
        with pytest.raises(SourceError) as caught:
            await source.run_tool(arguments)
    assert caught.value.error_type == "invalid_input" and message in caught.value.message


async def test_a_generator_url_without_expression_or_a_future_start_is_refused() -> None:
    async with PrometheusSource(NOWHERE) as source:
        with pytest.raises(SourceError, match="no g0.expr"):
            await source.evaluate_generator_url("http://prom/graph?g0.tab=1", at=datetime.now(UTC))
        with pytest.raises(SourceError, match="is the start in the future"):
            later = datetime.now(UTC) + timedelta(hours=1)
            await source.evaluate_generator_url("http://prom/graph?g0.expr=up", at=later, minutes_before=0)
        with pytest.raises(SourceError, match="time zone"):
            await source.evaluate_generator_url("http://prom/graph?g0.expr=up", at=datetime.now())


def test_a_url_with_credentials_never_shows_them() -> None:
    source = PrometheusSource("https://team:s3cret@prom.example.com/prometheus", token="tok")
    assert source.display_url == "https://prom.example.com/prometheus"
    with pytest.raises(ValueError, match="http"):
        PrometheusSource("prom.example.com:9090")
