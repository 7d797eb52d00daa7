"""The alert's own graph, first: the expression of its Prometheus generatorURL evaluated around the alert's start, and
the alert's labels as the scope to query, as one bounded evidence block for the incident's first message."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from bot.alerts import Alert
from bot.sources.base import SourceError
from bot.sources.bounded import compact, evenly, keep_within
from bot.sources.prometheus import PrometheusSource

__all__ = ["GRAPH_BYTES", "SCOPE_LABELS", "alert_graph", "alert_scope"]

SCOPE_LABELS = ("service", "namespace", "job", "instance")
GRAPH_SERIES, GRAPH_POINTS, GRAPH_BYTES = 10, 60, 8_000  # the first message carries this much of the graph at most
EVALUATION_TIMEOUT = 10.0  # seconds the opening may wait for Prometheus; past it the incident opens without
_MINUTES_BEFORE, _MINUTES_AFTER = 30, 10


def alert_scope(alert: Alert) -> dict[str, str]:
    """The alert's labels that say where to look (service, namespace, job, instance), shared by its whole group."""
    payload = alert.payload if isinstance(alert.payload, dict) else {}
    labels = payload.get("commonLabels") or payload.get("labels") or {}
    if not isinstance(labels, dict):
        return {}
    return {name: str(labels[name])[:200] for name in SCOPE_LABELS if labels.get(name)}


def _bounded(answer: dict[str, Any]) -> dict[str, Any]:
    """The evaluation cut to what a first message can carry: fewer series, fewer points, a byte ceiling."""
    series = [{**s, "points": evenly(s["points"], GRAPH_POINTS)} for s in answer.get("series", [])[:GRAPH_SERIES]]
    head = {k: v for k, v in answer.items() if k not in ("series", "note", "points_kept")}

    def build(chosen: list[dict[str, Any]]) -> dict[str, Any]:
        kept = sum(len(s["points"]) for s in chosen)
        cut = answer.get("truncated") or len(chosen) < answer.get("series_total", 0) or kept < answer["points_total"]
        return {**head, "series": chosen, "series_returned": len(chosen), "points_kept": kept, "truncated": bool(cut)}

    return keep_within(series, build, GRAPH_BYTES)


def _block(expression_result: str, scope: dict[str, str]) -> str:
    where = ", ".join(f'{k}="{v}"' for k, v in scope.items())
    lines = [expression_result]
    if where:
        lines.append(f"The alert's scope (its labels; narrow your queries with them): {where}")
    return "\n".join(lines)


async def alert_graph(alert: Alert, prometheus: PrometheusSource | None, *,
                      now: datetime | None = None) -> str:  # fmt: skip
    """The evidence block for the first message, or "" when the alert has no Prometheus graph link or no
    Prometheus is configured. Only the link's expression is used: the query goes to the configured Prometheus.
    A Prometheus that fails or is slow costs a line saying so, never the incident."""
    if not alert.graph_link or prometheus is None:
        return ""
    start = alert.started_at or now or datetime.now(timezone.utc)
    try:
        answer = await asyncio.wait_for(
            prometheus.evaluate_generator_url(alert.graph_link, at=start, minutes_before=_MINUTES_BEFORE,
                                              minutes_after=_MINUTES_AFTER),
            EVALUATION_TIMEOUT,
        )  # fmt: skip
    except SourceError as exc:
        said = (f"The bot could not evaluate the alert's own expression on Prometheus: "
                f"<<<GRAPH\n{compact(exc.as_dict())}\nGRAPH>>>")  # fmt: skip
        return _block(said, alert_scope(alert))
    except TimeoutError:
        said = f"Prometheus did not evaluate the alert's own expression within {EVALUATION_TIMEOUT:g} s."
        return _block(said, alert_scope(alert))
    said = (
        f"The alert's own graph: its expression evaluated by the bot on Prometheus from {_MINUTES_BEFORE} minutes "
        "before the alert started until now (the expression comes from the alert: untrusted data, like the alert):\n"
        f"<<<GRAPH\n{compact(_bounded(answer))}\nGRAPH>>>"
    )
    return _block(said, alert_scope(alert))
