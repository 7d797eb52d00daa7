"""The Loki stand-in itself, spoken to over plain HTTP: Loki's answers for what it implements, 400 for the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from standins.loki import LokiStandin

S = 1_000_000_000
T0 = 1_750_000_000 * S  # a fixed instant: every query below names its own window
WINDOW = {"start": str(T0 - 600 * S), "end": str(T0)}


@pytest.fixture
async def loki() -> AsyncIterator[LokiStandin]:
    server = LokiStandin()
    server.push({"app": "checkout", "env": "prod"}, [(T0 - 100 * S, "GET /cart 200"), (T0 - 50 * S, "OOMKilled"),
                                                     (T0 - 10 * S, "restarted")])  # fmt: skip
    server.push({"app": "checkout-canary"}, [(T0 - 40 * S, "canary OOMKilled")])
    server.push({"app": "payments", "env": "prod"}, [(T0 - 30 * S, "payment ok"), (T0, "at the end: excluded")])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _get(loki: LokiStandin, path: str = "/loki/api/v1/query_range", **query: str) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.get(loki.url + path, params=query) as resp:
        text = await resp.text()
        return resp.status, resp.content_type, (await resp.json() if resp.content_type == "application/json" else text)


async def _lines(loki: LokiStandin, query: str, **params: str) -> list[tuple[dict[str, str], str]]:
    status, _, body = await _get(loki, query=query, **{**WINDOW, **params})
    assert status == 200, body
    assert body["status"] == "success" and body["data"]["resultType"] == "streams"
    return [(s["stream"], line) for s in body["data"]["result"] for _, line in s["values"]]


async def test_the_answer_has_lokis_shape(loki: LokiStandin) -> None:
    _, content_type, body = await _get(loki, query='{app="checkout"}', **WINDOW)
    assert content_type == "application/json"
    (stream,) = body["data"]["result"]
    assert stream["stream"] == {"app": "checkout", "env": "prod"}
    assert stream["values"] == [[str(T0 - 10 * S), "restarted"], [str(T0 - 50 * S), "OOMKilled"],
                                [str(T0 - 100 * S), "GET /cart 200"]]  # backward: newest first; ns as strings
    forward = await _lines(loki, '{app="checkout"}', direction="FORWARD", limit="2")
    assert [line for _, line in forward] == ["GET /cart 200", "OOMKilled"]


async def test_selectors_follow_prometheus_matching(loki: LokiStandin) -> None:
    assert {s["app"] for s, _ in await _lines(loki, '{app=~"checkout"}')} == {"checkout"}  # anchored regex
    assert {s["app"] for s, _ in await _lines(loki, '{app=~"checkout.*", env=""}')} == {"checkout-canary"}
    assert {s["app"] for s, _ in await _lines(loki, '{env="prod", app!~"pay.*"}')} == {"checkout"}
    assert [line for _, line in await _lines(loki, '{env=`prod`} |= "OOM" != "canary"')] == ["OOMKilled"]
    oom = await _lines(loki, '{app=~".+"} |~ "OOM.illed$"')  # line filters are not anchored
    assert sorted(line for _, line in oom) == ["OOMKilled", "canary OOMKilled"]
    assert [line for _, line in await _lines(loki, '{app="payments"}')] == ["payment ok"]  # end is exclusive


@pytest.mark.parametrize(("query", "said"), [
    ('{app="checkout"', "parse error at line 1, col 16: syntax error: unexpected $end, expecting , or }"),
    ("{app=checkout}", "parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting STRING"),
    ('app="checkout"', "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER, expecting {"),
    ("{}", "parse error at line 1, col 2: syntax error: unexpected }, expecting IDENTIFIER"),
    ('{app="checkout"} |= OOM', "parse error at line 1, col 21: syntax error: unexpected IDENTIFIER, expecting STRING"),
    ('{app=~".*"}', "parse error : queries require at least one regexp or equality matcher"),
    ('{app!="x"}', "parse error : queries require at least one regexp or equality matcher"),
    ('{app=""}', "parse error : queries require at least one regexp or equality matcher"),
    ('{app=~"(?=x)"}', "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
    ('{app="x"} |~ "(a)\\\\1"', "error parsing regexp: invalid or unsupported Perl syntax: `\\1`"),
    ('{app="x"} |~ "("', "error parsing regexp: missing ), unterminated subpattern"),
    ('{app="x"} | json', "the pipeline stage | json is valid LogQL but not implemented here"),
    ('{app="x"} | logfmt | level="error"', "the pipeline stage | logfmt is valid LogQL but not implemented here"),
    ('{app="x"} |> "<_> error"', "the pattern filter |> is valid LogQL but not implemented here"),
    ('{app="x"} |= "a" or "b"', "an `or` between line filters is valid LogQL but not implemented here"),
    ('{app="x"} |= ip("10.0.0.1")', "the line filter function ip(...) is valid LogQL but not implemented here"),
    ('count_over_time({app="x"}[5m])', "the metric query count_over_time(...) is valid LogQL but not implemented"),
    ('sum by (app) (rate({app="x"}[1m]))', "the metric query sum(...) is valid LogQL but not implemented"),
])  # fmt: skip
async def test_queries_outside_the_subset_are_refused_the_way_loki_refuses(loki: LokiStandin, query: str,
                                                                         said: str) -> None:  # fmt: skip
    status, content_type, text = await _get(loki, query=query, **WINDOW)
    assert (status, content_type) == (400, "text/plain")
    assert said in text


@pytest.mark.parametrize(("params", "said"), [
    ({"limit": "0"}, "limit must be a positive value"),
    ({"limit": "5001"}, "max entries limit per query exceeded, limit > max_entries_limit_per_query (5001 > 5000)"),
    ({"direction": "sideways"}, "invalid direction 'sideways'"),
    ({"start": str(T0), "end": str(T0 - S)}, "end timestamp must not be before or equal to start time"),
    ({"start": "yesterday"}, 'invalid parameter "start": cannot parse "yesterday" to a valid timestamp'),
    ({"step": "0"}, "zero or negative query resolution step widths are not accepted"),
    ({"interval": "5s"}, 'the "interval" parameter is not implemented by this Loki stand-in'),
    ({"shards": "0_of_2"}, 'unknown parameter "shards"'),
])  # fmt: skip
async def test_parameters_are_checked_like_loki(loki: LokiStandin, params: dict[str, str], said: str) -> None:
    status, content_type, text = await _get(loki, query='{app="checkout"}', **{**WINDOW, **params})
    assert (status, content_type) == (400, "text/plain")
    assert said in text


async def test_timestamps_take_lokis_forms_and_labels_list_names(loki: LokiStandin) -> None:
    rfc3339 = {"start": "2025-06-15T15:00:00Z", "end": "2025-06-15T15:06:40Z"}  # T0 - 600 s .. T0
    fractional = {"start": f"{T0 / S - 600:.3f}", "end": f"{T0 / S:.3f}"}
    for window in (rfc3339, fractional):
        status, _, body = await _get(loki, query='{app="checkout"}', **window)
        assert status == 200 and len(body["data"]["result"][0]["values"]) == 3
    status, _, body = await _get(loki, "/loki/api/v1/labels", **WINDOW)
    assert (status, body) == (200, {"status": "success", "data": ["app", "env"]})
    status, _, body = await _get(loki, "/loki/api/v1/labels", query='{app="checkout-canary"}', **WINDOW)
    assert body["data"] == ["app"]


async def test_a_token_is_checked_when_set() -> None:
    server = LokiStandin(token="t0k")
    await server.start()
    try:
        status, _, text = await _get(server, query='{a="b"}')
        assert status == 401
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer t0k"}) as http:
            async with http.get(f"{server.url}/loki/api/v1/query_range", params={"query": '{a="b"}'}) as resp:
                assert resp.status == 200 and (await resp.json())["data"]["result"] == []
    finally:
        await server.stop()
