"""The data tools: metrics, recent deploys and a commit's diff, answered from the incident's evidence folder."""

from __future__ import annotations

from bot.run.state import IncidentState, ToolCall
from bot.tools.base import ToolAnswer, ToolContext, ToolHandler, error, ok

__all__ = ["DATA_TOOLS", "get_diff", "get_metrics", "get_recent_deploys"]


async def get_metrics(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """One metric's points for one service."""
    service, metric = str(call.input.get("service", "")), str(call.input.get("metric", ""))
    metrics = tools.evidence.metrics()
    if service not in metrics:
        return error(f"no metrics for service {service!r}; known services: {sorted(metrics)}")
    series = metrics[service]
    if metric not in series:
        return error(f"no metric {metric!r} for {service}; known metrics: {sorted(series)}")
    return ok({"service": service, "metric": metric, "points": series[metric]})


async def get_recent_deploys(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """The incident's recent deploys."""
    return ok({"deploys": tools.evidence.deploys()})


async def get_diff(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """The diff of one deployed commit."""
    commit = call.input.get("commit")
    diff = tools.evidence.diff_for(str(call.input.get("commit", "")))
    if diff is None:
        return error(f"no diff known for commit {commit!r}")
    return ok({"commit": commit, "diff": diff})


DATA_TOOLS: dict[str, ToolHandler] = {
    "get_metrics": get_metrics,
    "get_recent_deploys": get_recent_deploys,
    "get_diff": get_diff,
}
