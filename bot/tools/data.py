"""The data tools: metrics, recent deploys and a commit's diff, answered from the incident's evidence folder."""

from __future__ import annotations

from bot.run.state import IncidentState, ToolCall
from bot.tools.base import ToolAnswer, ToolContext, ToolHandler, error, ok
from bot.words import ToolName

__all__ = ["DATA_TOOLS", "get_diff", "get_metrics", "get_recent_deploys"]


_NO_DATA = "is not available to this incident: INCIDENT_DATA is not configured"


async def get_metrics(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """One metric's points for one service."""
    if tools.evidence is None:
        return error(f"{call.name} {_NO_DATA}")
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
    if tools.evidence is None:
        return error(f"{call.name} {_NO_DATA}")
    return ok({"deploys": tools.evidence.deploys()})


async def get_diff(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """The diff of one deployed commit."""
    if tools.evidence is None:
        return error(f"{call.name} {_NO_DATA}")
    commit = call.input.get("commit")
    diff = tools.evidence.diff_for(str(call.input.get("commit", "")))
    if diff is None:
        return error(f"no diff known for commit {commit!r}")
    return ok({"commit": commit, "diff": diff})


DATA_TOOLS: dict[str, ToolHandler] = {
    ToolName.GET_METRICS: get_metrics,
    ToolName.GET_RECENT_DEPLOYS: get_recent_deploys,
    ToolName.GET_DIFF: get_diff,
}
