"""LokiSource against the Loki stand-in over real HTTP on loopback: selectors, filters, limits, bounds, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.sources import Caps, LokiSource, SourceError
from bot.sources.bounded import size
from standins.loki import LokiStandin

TOKEN = "loki-s3cret"
NOW = datetime.now(UTC).replace(microsecond=0)


def _ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.fixture
async def loki() -> AsyncIterator[LokiStandin]:
    server = LokiStandin(token=TOKEN)
    server.push({"app": "checkout", "env": "prod"},
                [(_ago(300 - i), f"GET /cart 200 {i}") for i in range(0, 300, 10)]
                + [(_ago(30), "OOMKilled: container checkout exceeded 128Mi"), (_ago(25), "restarting checkout")])
    server.push({"app": "checkout", "env": "staging"}, [(_ago(20), "OOMKilled in staging")])
    server.push({"app": "payments", "env": "prod"}, [(_ago(10), "payment ok"), (_ago(3 * 3600), "old OOMKilled")])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def source(loki: LokiStandin) -> AsyncIterator[LokiSource]:
    async with LokiSource(loki.url, token=TOKEN) as src:
        yield src


async def test_selectors_and_filters_pick_the_lines_newest_first(source: LokiSource) -> None:
    answer = await source.query_range('{env="prod"} |= "OOM"', minutes=60, end=NOW)
    assert [line["line"] for line in answer["lines"]] == ["OOMKilled: container checkout exceeded 128Mi"]
    assert answer["streams"] == [{"app": "checkout", "env": "prod"}]
    assert answer["lines"][0] == {"ts": _ago(30).strftime("%Y-%m-%dT%H:%M:%S.000000000Z"), "stream": 0,
                                  "line": "OOMKilled: container checkout exceeded 128Mi"}  # fmt: skip

    answer = await source.query_range('{app=~"check.*", env!="staging"} !~ "GET|restart"', minutes=60, end=NOW)
    assert [line["line"] for line in answer["lines"]] == ["OOMKilled: container checkout exceeded 128Mi"]

    answer = await source.query_range('{app=~".+"} |~ "(?i)oomkilled"', minutes=60, end=NOW)
    lines = [(answer["streams"][line["stream"]]["env"], line["line"]) for line in answer["lines"]]
    assert lines == [("staging", "OOMKilled in staging"), ("prod", "OOMKilled: container checkout exceeded 128Mi")]
    assert (answer["lines_total"], answer["truncated"], answer["limit_reached"]) == (2, False, False)


async def test_the_window_and_the_limit_bound_what_loki_returns(source: LokiSource, loki: LokiStandin) -> None:
    assert (await source.query_range('{app="payments"}', minutes=60, end=NOW))["lines_total"] == 1
    assert (await source.query_range('{app="payments"}', minutes=240, end=NOW))["lines_total"] == 2

    answer = await source.run_tool({"query": '{app="checkout"}', "minutes": 60, "limit": 5})
    assert answer["lines_returned"] == answer["lines_total"] == 5 and answer["limit_reached"] is True
    assert "older lines in the window were not fetched" in answer["note"]
    sent = loki.requests[-1].query
    assert (sent["limit"], sent["direction"]) == ("5", "backward")
    assert int(sent["end"]) - int(sent["start"]) == 60 * 60 * 10**9  # nanoseconds


async def test_long_lines_are_cut_and_the_answer_fits_its_byte_cap(loki: LokiStandin) -> None:
    loki.push({"app": "batch"}, [(_ago(100 - i), f"{i:03d} " + "x" * 5000) for i in range(100)])
    caps = Caps(max_line_chars=300, max_bytes=8_000)
    async with LokiSource(loki.url, token=TOKEN, caps=caps) as src:
        answer = await src.query_range('{app="batch"}', minutes=10, limit=100, end=NOW)
    assert size(answer) <= 8_000
    assert answer["truncated"] is True and answer["lines_total"] == 100
    assert 0 < answer["lines_returned"] < 100
    newest = answer["lines"][0]
    assert newest["line"].startswith("099 ") and len(newest["line"]) == 300 and newest["cut_from_chars"] == 5004
    assert f"showing the newest {answer['lines_returned']} of 100 lines" in answer["note"]


async def test_loki_errors_come_back_with_lokis_own_words(source: LokiSource, loki: LokiStandin) -> None:
    with pytest.raises(SourceError) as caught:
        await source.query_range('{app="checkout"', minutes=5)
    assert caught.value.as_dict() == {
        "error": "parse error at line 1, col 16: syntax error: unexpected $end, expecting , or }",
        "errorType": "bad_data", "source": "loki", "status": 400,
    }  # fmt: skip

    loki.fail_next(500, "rpc error: code = Unavailable desc = connection refused")
    with pytest.raises(SourceError) as caught:
        await source.query_range('{app="checkout"}', minutes=5)
    assert (caught.value.error_type, caught.value.status) == ("server_error", 500)
    assert caught.value.message == "rpc error: code = Unavailable desc = connection refused"

    loki.fail_next(504, "request timed out, decrease the duration of the request")
    with pytest.raises(SourceError) as caught:
        await source.query_range('{app="checkout"}', minutes=5)
    assert (caught.value.error_type, caught.value.status) == ("timeout", 504)


async def test_the_token_is_sent_as_bearer_and_never_shown(loki: LokiStandin) -> None:
    async with LokiSource(loki.url, token=TOKEN) as src:
        assert await src.check() == f"Loki at {loki.url} answers queries"
    assert loki.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    async with LokiSource(loki.url, token="wrong") as src:
        with pytest.raises(SourceError) as caught:
            await src.query_range('{app="checkout"}')
    assert (caught.value.error_type, caught.value.status) == ("unauthorized", 401)
    assert TOKEN not in str(caught.value.as_dict())


async def test_a_stopped_loki_is_unreachable(source: LokiSource, loki: LokiStandin) -> None:
    await loki.stop()
    with pytest.raises(SourceError) as caught:
        await source.query_range('{app="checkout"}')
    assert caught.value.error_type == "unreachable" and loki.url in caught.value.message


@pytest.mark.parametrize(("arguments", "message"), [
    ({"query": ""}, "query must be a non-empty LogQL string"),
    ({"query": "{a=\"b\"}", "limit": 0}, "limit must be a whole number from 1 to 1000"),
    ({"query": "{a=\"b\"}", "limit": 5000}, "limit must be a whole number from 1 to 1000"),
    ({"query": "{a=\"b\"}", "minutes": -5}, "minutes must be a whole number from 1 to 10080"),
    ({"query": "{a=\"b\"}", "lines": 5}, "unknown argument(s) lines; query_logs takes query, minutes, limit"),
])  # fmt: skip
async def test_bad_arguments_are_refused_before_any_request(source: LokiSource, loki: LokiStandin,
                                                            arguments: dict, message: str) -> None:  # fmt: skip
    with pytest.raises(SourceError) as caught:
        await source.run_tool(arguments)
    assert caught.value.error_type == "invalid_input" and message in caught.value.message
    assert loki.requests == []
