"""query_prometheus and query_logs are answered by the bot from the team's own servers (the real Prometheus, the
Loki stand-in), bounded; a source that fails answers an error result with its own message and the incident goes on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from standins.loki import LokiStandin
from standins.managed_agents.testing import ScriptedBrain
from tests.support.exporter import Exporter
from tests.support.fixtures import exporter, prometheus, servers  # noqa: F401  (fixtures)
from tests.support.servers import PrometheusServer

from tests.bot.stand import ALICE, stand

TIMEOUT = 30


def _asking(*calls: tuple[str, dict]) -> tuple[ScriptedBrain, list]:
    """A brain that makes these tool calls in its first turn; the answers land in the returned list."""
    answers: list = []

    async def first(ctx, message):
        for name, arguments in calls:
            answers.append(await ctx.call_tool(name, arguments))
        await ctx.say("done")

    return ScriptedBrain(first=first), answers


async def test_query_logs_answers_from_the_teams_loki_with_its_token(tmp_path):
    loki = LokiStandin(token="loki-secret")
    url = await loki.start()
    loki.push({"app": "checkout", "namespace": "prod"},
              [(datetime.now(UTC) - timedelta(minutes=2), "ERROR payment timeout order=17")])
    brain, answers = _asking(("query_logs", {"query": '{app="checkout"} |= "ERROR"', "minutes": 10}),
                             ("query_logs", {"query": '{app="checkout"', "minutes": 10}))  # fmt: skip
    try:
        async with stand(tmp_path, brain=brain, loki_url=url, loki_token="loki-secret") as world:
            parts = world.parts()
            run = await parts.opener.open(title="checkout errors", text="5xx", opened_by=ALICE, source="slash command")
            await run.wait_finished(timeout=TIMEOUT)
            found, refused = answers
            assert not found.is_error
            assert [line["line"] for line in json.loads(found.text)["lines"]] == ["ERROR payment timeout order=17"]
            assert refused.is_error
            error = json.loads(refused.text)
            assert error["source"] == "loki" and "parse error" in error["error"]
            assert {r.headers.get("Authorization") for r in loki.requests} == {"Bearer loki-secret"}
            assert run.state.last_message == "done"  # the incident went on after the error
            await parts.close()
    finally:
        await loki.stop()


async def test_query_prometheus_answers_the_numbers_prometheus_holds(tmp_path, exporter: Exporter,
                                                                     prometheus: PrometheusServer):
    gauge = exporter.gauge("checkout_latency_seconds", "p99 latency", ["service"]).labels("checkout")
    gauge.set(1.75)
    await prometheus.wait_for('checkout_latency_seconds{service="checkout"}',
                              lambda s: bool(s) and s[0]["value"][1] == "1.75")  # fmt: skip
    brain, answers = _asking(("query_prometheus", {"query": 'checkout_latency_seconds{service="checkout"}',
                                                   "minutes": 5}))  # fmt: skip
    async with stand(tmp_path, brain=brain, prometheus_url=prometheus.url) as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout slow", text="p99", opened_by=ALICE, source="slash command")
        await run.wait_finished(timeout=TIMEOUT)
        [answer] = answers
        assert not answer.is_error
        [series] = json.loads(answer.text)["series"]
        assert series["labels"]["service"] == "checkout" and series["points"][-1][1] == 1.75
        await parts.close()


async def test_an_unreachable_prometheus_is_an_error_result_and_the_incident_goes_on(tmp_path):
    brain, answers = _asking(("query_prometheus", {"query": "up"}))
    async with stand(tmp_path, brain=brain, prometheus_url="http://127.0.0.1:9") as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout slow", text="p99", opened_by=ALICE, source="slash command")
        await run.wait_finished(timeout=TIMEOUT)
        [answer] = answers
        error = json.loads(answer.text)
        assert answer.is_error and error["source"] == "prometheus" and error["errorType"] == "unreachable"
        assert run.state.last_message == "done"
        await parts.close()


async def test_a_source_the_settings_do_not_configure_is_refused_by_name(tmp_path):
    brain, answers = _asking(("query_logs", {"query": '{app="checkout"}'}))
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout", text="5xx", opened_by=ALICE, source="slash command")
        await run.wait_finished(timeout=TIMEOUT)
        [answer] = answers
        assert answer.is_error and "LOKI_URL" in json.loads(answer.text)["error"]
        await parts.close()
