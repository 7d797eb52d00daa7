"""Live-metrics playbook: the alert's own expression on the team's Prometheus (query_prometheus), its logs in Loki
(query_logs) when the agent has that tool; a regression that starts after a deploy of the same service is reverted
per the latency runbook, stated with the numbers Prometheus holds."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from standins.managed_agents import investigator_evidence as ev
from standins.managed_agents import investigator_latency as latency
from standins.managed_agents.investigator_evidence import Context, Finding
from standins.managed_agents.investigator_patch import parse_patch, revert

__all__ = ["LOKI", "PROMETHEUS", "AlertRule", "alert_rule", "investigate", "look"]

PROMETHEUS, LOKI = "query_prometheus", "query_logs"
SCOPE_LABELS = ("service", "namespace", "job", "instance")
_GRAPH_EXPR = re.compile(r'"expr":("(?:[^"\\]|\\.)*")')  # the alert's own graph, as the bot evaluated it
_GENERATOR_EXPR = re.compile(r"[?&]g0\.expr=([^&\"\s\\]+)")  # the alert's generatorURL
_SCOPE = re.compile(r"<<<SCOPE\n(.*?)\nSCOPE>>>", re.S)  # the first message's scope: name=value lines
_LABEL = re.compile(r'"(service|namespace|job|instance)"\s*:\s*"([^"\\]{1,200})"')  # else the alert's JSON
_COMPARISON = re.compile(r"^(?P<measure>.+?)\s*(?P<op>>=|>|<=|<|==|!=)\s*(?P<level>-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s*$",
                         re.S)  # fmt: skip
_SIGNATURES = {"connection pool exhausted": latency.SIGNATURE, "OOMKilled": r"OOMKilled|exit code 137"}
_LOOK_MINUTES = 30
_ZOOM_POINTS = 120


@dataclass(frozen=True)
class AlertRule:
    """What the first message says about the alert's rule: its expression, what it measures, where to look."""

    expr: str
    measure: str  # the expression's left side: the number the rule compares
    level: float | None  # the threshold of `measure > level`, if the rule is one
    scope: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Look:
    """The measure as Prometheus holds it."""

    query: str
    points: list[tuple[datetime, float]]
    labels: dict[str, str]

    @property
    def baseline(self) -> float:
        return ev.baseline(self.points)

    def level(self, threshold: float | None) -> float:
        """The rule's threshold, or twice the baseline when the rule has none."""
        return threshold if threshold is not None else 2 * self.baseline

    def onset(self, threshold: float | None) -> datetime | None:
        level = self.level(threshold)
        return ev.first_at_least(self.points, level) if level > 0 else None

    def summary(self, threshold: float | None) -> str:
        """What it was at first, its peak, its latest value, and when it crossed the level."""
        m, (top_at, top), (last_at, last) = self.query, max(self.points, key=lambda p: p[1]), self.points[-1]
        onset, level = self.onset(threshold), self.level(threshold)
        crossed = f"crossed {shown(m, level)} at {ev.hhmm(onset)}" if onset else f"never reached {shown(m, level)}"
        return (f"{shown(m, self.baseline)} at first, a peak of {shown(m, top)} at {ev.hhmm(top_at)}, "
                f"{shown(m, last)} at {ev.hhmm(last_at)}; it {crossed}")  # fmt: skip


def alert_rule(message: str) -> AlertRule | None:
    """The alert's Prometheus expression (its own graph, else its generatorURL) and scope, from the first message."""
    expr = ""
    if graph := _GRAPH_EXPR.search(message):
        expr = json.loads(graph.group(1))
    elif generator := _GENERATOR_EXPR.search(message):
        expr = unquote_plus(generator.group(1))
    if not expr.strip():
        return None
    scope: dict[str, str] = {}
    if said := _SCOPE.search(message):
        pairs = (line.partition("=") for line in said.group(1).splitlines())
        scope = {name: value for name, _, value in pairs if name in SCOPE_LABELS and value and ", " not in value}
    for name, value in _LABEL.findall(message) if not scope else ():
        scope.setdefault(name, value)
    compared = _COMPARISON.match(expr.strip())
    if compared and compared["op"] in (">", ">="):
        return AlertRule(expr, compared["measure"].strip(), float(compared["level"]), scope)
    return AlertRule(expr, expr.strip(), None, scope)


def shown(measure: str, value: float) -> str:
    """A value in the measure's unit: seconds as milliseconds, bytes as MB."""
    if "_seconds" in measure:
        return f"{value * 1000:,.0f} ms"
    if "_bytes" in measure:
        return f"{value / 1e6:,.1f} MB"
    return f"{value:,.4g}"


def _points(answer: ev.Answer) -> tuple[list[tuple[datetime, float]], dict[str, str], datetime | None]:
    """The series with the highest value in a query_prometheus answer, and the answer's end."""
    data = ev.tool_json(answer)
    if not isinstance(data, dict):
        return [], {}, None
    best: tuple[list[tuple[datetime, float]], dict[str, str]] = ([], {})
    for series in data.get("series") or []:
        points = [(datetime.fromtimestamp(t, UTC), float(v)) for t, v in series.get("points") or []
                  if isinstance(v, (int, float))]  # fmt: skip
        if points and (not best[0] or max(v for _, v in points) > max(v for _, v in best[0])):
            best = (points, dict(series.get("labels") or {}))
    end = ev.when(data["end"]) if isinstance(data.get("end"), str) else None
    return best[0], best[1], end


async def look(ctx: Context, rule: AlertRule) -> Look | None:
    """Query the alert's measure and say what Prometheus holds; where it holds less than the window, zoom in on
    what it holds."""
    answer = await ctx.call_tool(PROMETHEUS, {"query": rule.measure, "minutes": _LOOK_MINUTES})
    if answer.is_error:
        await ctx.say(f"query_prometheus refused `{rule.measure}`: {answer.text[:500]}. I go on without it.")
        return None
    points, labels, end = _points(answer)
    if points and end is not None and end - points[0][0] < timedelta(minutes=_LOOK_MINUTES - 5):
        held = (end - points[0][0]).total_seconds() + 60
        minutes = max(1, math.ceil(held / 60))
        step = max(1, math.ceil(minutes * 60 / _ZOOM_POINTS))
        zoomed = await ctx.call_tool(PROMETHEUS, {"query": rule.measure, "minutes": minutes, "step": step})
        if not zoomed.is_error:
            points, labels, _ = _points(zoomed)
    if not points:
        await ctx.say(f"Prometheus holds no samples for `{rule.measure}` in the last {_LOOK_MINUTES} minutes.")
        return None
    seen = Look(rule.measure, points, labels)
    await ctx.say(f"Prometheus holds `{seen.query}`: {seen.summary(rule.level)}.")
    return seen


async def _logs(ctx: Context, rule: AlertRule) -> list[str]:
    """What the service's logs in Loki say, as notes (only when the agent has query_logs)."""
    selector = ", ".join(f'{k}="{v}"' for k, v in rule.scope.items() if k in ("service", "namespace"))
    if LOKI not in ctx.tools or not selector:
        return []
    answer = await ctx.call_tool(LOKI, {"query": f"{{{selector}}}", "minutes": _LOOK_MINUTES, "limit": 1000})
    if answer.is_error:
        return [f"query_logs refused {{{selector}}}: {answer.text[:300]}"]
    data = ev.tool_json(answer)
    lines = [str(item.get("line", "")) for item in data.get("lines", [])] if isinstance(data, dict) else []
    notes = [f"Loki has {len(lines):,} lines for {{{selector}}} in the last {_LOOK_MINUTES} minutes"]
    for name, pattern in _SIGNATURES.items():
        hits = sum(1 for line in lines if re.search(pattern, line))
        if hits:
            notes.append(f"{hits:,} of them say `{name}`")
    return ["; ".join(notes) + "."]


def _before(deployed: datetime, onset: datetime) -> str:
    seconds = max(0, round((onset - deployed).total_seconds()))
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


async def investigate(ctx: Context, rule: AlertRule, seen: Look) -> Finding | None:
    """From the measure Prometheus holds, find the deploy that started it and revert it per the latency runbook."""
    m, points, level, onset = seen.query, seen.points, seen.level(rule.level), seen.onset(rule.level)
    base, (_, top), (last_at, last) = seen.baseline, max(points, key=lambda p: p[1]), points[-1]
    service = rule.scope.get("service") or seen.labels.get("service", "")
    notes = await _logs(ctx, rule)
    if onset is None or not service or "get_recent_deploys" not in ctx.tools:
        why = "no regression" if onset is None else "no service label" if not service else "no deploy history"
        await ctx.say(f"I have {why} to go on, so I propose no change; this one needs a human.")
        return None
    deploys = ev.deploy_list(ev.tool_json(await ctx.call_tool("get_recent_deploys", {})))
    suspect = latency.suspect_deploy(deploys, service, onset)
    if suspect is None:
        await ctx.say(f"No {service} deploy in the hour before {ev.hhmm(onset)}, so a revert does not apply; "
                      "this one needs a human.")  # fmt: skip
        return None
    patch_text = await latency.commit_diff(ctx, suspect["commit"]) if "get_diff" in ctx.tools else ""
    repo = ev.repo_root(ctx)
    patches = [p for p in parse_patch(patch_text) if f"{repo}/{p.path}" in ctx.files]
    runbook = await ev.find_runbook(ctx, "latency.md", r"N\+1|p99|latency")
    if not patches or runbook is None:
        missing = f"a diff touching {ev.rel(ctx, repo)}/" if not patches else "a latency runbook"
        await ctx.say(f"Deploy {ev.deploy_name(suspect)} looks responsible, but I found no {missing}, so I stop here.")
        return None
    await ctx.read(runbook)
    patch = patches[0]
    current = await ctx.read(f"{repo}/{patch.path}")
    reverted = revert(current, patch)
    if reverted is None:
        await ctx.say(f"{patch.path} no longer matches commit {suspect['commit'][:7]}; I cannot revert it.")
        return None
    sha, deployed, change = suspect["commit"], ev.when(suspect["deployed_at"]), latency.what_changed(patch)
    ratio = f" ({top / base:.0f}×)" if base > 0 else ""
    root = (f"Root cause: commit {sha[:7]}, deployed to {service} as {ev.deploy_name(suspect)} at {ev.hhmm(deployed)} "
            f"({_before(deployed, onset)} before `{m}` crossed {shown(m, level)} at {ev.hhmm(onset)}), {change}; "
            f"per Prometheus, {service} went from {shown(m, base)} to a peak of {shown(m, top)}{ratio} "
            f"({shown(m, last)} at {ev.hhmm(last_at)}).")  # fmt: skip
    subject = latency.commit_subject(patch_text) or suspect.get("description", "")
    return Finding(
        root_cause=root, notes=(f"This reverts commit {sha}.", f"Measured with query_prometheus: `{m}`.", *notes),
        runbook=ev.rel(ctx, runbook), repo_path=patch.path, old_text=current, new_text=reverted,
        title=f'Revert "{subject}" ({sha[:7]})',
        summary=(f"Revert {sha[:7]} per {ev.rel(ctx, runbook)}: it {change}; {service} {shown(m, base)} -> "
                 f"{shown(m, top)} since deploy {ev.deploy_name(suspect)} at {ev.hhmm(deployed)}."),
    )  # fmt: skip
