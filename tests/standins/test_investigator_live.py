"""The offline investigator with query_prometheus / query_logs in its tool list: it starts from the alert's own
expression, states the numbers the tool answered, and reverts the deploy that started the regression."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.incidents.briefing import alert_section, first_message
from standins.managed_agents import investigator
from tests.standins.test_investigator import CLASSIC_TOOLS, FIXTURES, FakeContext, ToolAnswer, evidence

MEASURE = 'request_latency_p99_seconds{service="checkout"}'
START = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
LIVE = (*CLASSIC_TOOLS, "query_prometheus", "query_logs")


def live_evidence(tmp_path: Path, deployed: datetime) -> dict[str, bytes]:
    """incident-2277's repository, runbooks and suspect diff, with no logs or canned metrics, and its checkout deploy
    at `deployed`."""
    folder = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident-2277", folder, ignore=shutil.ignore_patterns("logs", "metrics.json",
                                                                                        "generate.py"))  # fmt: skip
    deploys = json.loads((folder / "deploys.json").read_text())
    for d in deploys:
        d["deployed_at"] = (deployed if d["service"] == "checkout" else deployed - timedelta(hours=3)).isoformat()
    (folder / "deploys.json").write_text(json.dumps(deploys))
    return evidence(folder)


def alert_message(ctx: FakeContext, expr: str = f"{MEASURE} > 0.5") -> str:
    """The first message as the bot writes it for an Alertmanager webhook: the alert, its scope, the tools, the files."""
    payload = {"source": "alertmanager", "via": "webhook", "status": "firing",
               "commonLabels": {"alertname": "CheckoutLatencyHigh", "service": "checkout", "namespace": "shop"},
               "generatorURL": f"http://prometheus.internal:9090/graph?g0.expr={quote(expr, safe='')}&g0.tab=1",
               "alerts": [{"status": "firing", "labels": {"pod": "checkout-1"}, "startsAt": "2026-05-01T14:05:00Z"}]}  # fmt: skip
    opening = alert_section(text="", source="webhook (alertmanager)", opened_by=None, alert=payload)
    files = [{"type": "file", "mount_path": path} for path in ctx.files]
    return first_message(opening=opening, tool_names=tuple(ctx.tools), resources=files)


class LiveContext(FakeContext):
    """Answers query_prometheus from a series it holds (as the bot shapes Prometheus' answer) and query_logs."""

    def __init__(self, *args: Any, series: list[tuple[datetime, float]], lines: list[str] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.series, self.lines = series, list(lines)

    async def call_tool(self, name: str, input: dict[str, Any]) -> ToolAnswer:
        if name == "query_prometheus":
            self.steps.append(("tool", (name, input)))
            end = self.series[-1][0]
            kept = [(t, v) for t, v in self.series if t >= end - timedelta(minutes=input["minutes"])]
            points = [[int(t.timestamp()), v] for t, v in kept]
            labels = {"__name__": "request_latency_p99_seconds", "service": "checkout", "job": "exporter"}
            return ToolAnswer(json.dumps({"query": input["query"], "end": end.isoformat(), "series": [
                {"labels": labels, "points": points}], "truncated": False}), False)
        if name == "query_logs":
            self.steps.append(("tool", (name, input)))
            return ToolAnswer(json.dumps({"lines": [{"ts": "x", "stream": 0, "line": ln} for ln in self.lines]}), False)
        return await super().call_tool(name, input)


def degrading(deployed: datetime) -> list[tuple[datetime, float]]:
    """80 ms, then 2.4 s from 20 s after the deploy, one sample a second."""
    onset = deployed + timedelta(seconds=20)
    return [(START + timedelta(seconds=i), 0.08 if START + timedelta(seconds=i) < onset else 2.4) for i in range(90)]


async def test_live_latency_is_measured_on_prometheus_and_the_deploy_reverted(tmp_path: Path) -> None:
    deployed = START + timedelta(seconds=30)
    ctx = LiveContext(tmp_path / "mnt", live_evidence(tmp_path, deployed), tools=LIVE, series=degrading(deployed),
                      lines=["db: connection pool exhausted (20/20 in use)"] * 3 + ["GET /checkout 200"] * 5)
    await investigator.investigate(ctx, alert_message(ctx))

    assert "not Claude" in ctx.said()[0]
    assert ctx.called()[:2] == ["query_prometheus", "query_prometheus"]  # the alert's measure, then zoomed in
    assert ctx.tool_input("query_prometheus")["query"] == MEASURE  # the rule's measure, not its comparison
    findings = next(t for t in ctx.said() if t.startswith("Root cause:"))
    for fact in ("a3f9c21", "d-9097", "80 ms", "2,400 ms", "30×", "14:00:50 UTC", "20 s before", "N+1"):
        assert fact in findings, fact
    assert "3 of them say `connection pool exhausted`" in findings
    assert ctx.tool_input("query_logs")["query"] == '{service="checkout", namespace="shop"}'
    assert ctx.index("read", "runbooks/latency.md") < ctx.index("tool", "open_pull_request")
    pr = ctx.tool_input("open_pull_request")
    assert "latency.md" in pr["body"] and "a3f9c21" in pr["title"] and "merged" in ctx.said()[-1]


async def test_without_the_prometheus_tool_it_does_not_call_it(tmp_path: Path) -> None:
    deployed = START + timedelta(seconds=30)
    ctx = LiveContext(tmp_path / "mnt", live_evidence(tmp_path, deployed), series=degrading(deployed))
    await investigator.investigate(ctx, alert_message(ctx))
    assert "query_prometheus" not in ctx.called() and "query_logs" not in ctx.called()
    assert "open_pull_request" not in ctx.called() and "needs a human" in ctx.said()[-1]


async def test_no_regression_and_no_deploy_open_nothing(tmp_path: Path) -> None:
    deployed = START + timedelta(seconds=30)
    flat = [(t, 0.08) for t, _ in degrading(deployed)]
    ctx = LiveContext(tmp_path / "mnt", live_evidence(tmp_path, deployed), tools=LIVE, series=flat)
    await investigator.investigate(ctx, alert_message(ctx))
    assert "never reached 500 ms" in "\n".join(ctx.said()) and "open_pull_request" not in ctx.called()

    late = LiveContext(tmp_path / "late", live_evidence(tmp_path / "l", START + timedelta(hours=2)), tools=LIVE,
                       series=degrading(deployed))  # fmt: skip
    await investigator.investigate(late, alert_message(late))
    assert "No checkout deploy in the hour before" in "\n".join(late.said())
    assert "open_pull_request" not in late.called()
