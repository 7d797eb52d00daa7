"""The alert's own graph, first: the expression of the alert's Prometheus graph link (an Alertmanager generatorURL)
evaluated on the configured Prometheus around the alert's start, bounded, as evidence the agent gets with its first
message (the opener's gather hook). Only the expression is taken from the link: the query goes to PROMETHEUS_URL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from bot.alerts.model import http_link, parse_instant
from bot.incidents.briefing import OpeningEvidence
from bot.sources.base import SourceError
from bot.sources.bounded import compact, evenly, keep_within
from bot.sources.prometheus import PrometheusSource
from bot.sources.registry import Providers
from bot.words import ToolName

__all__ = ["GRAPH_BYTES", "alert_graph", "alert_start", "gather_alert_graph", "graph_link"]

GRAPH_SERIES, GRAPH_POINTS, GRAPH_BYTES = 10, 60, 8_000  # the first message carries this much of the graph at most
MINUTES_BEFORE, MINUTES_AFTER = 30, 10  # the window around the alert's start (its end is now at the latest)


def _alerts(alert: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    listed = alert.get("alerts")
    return [a for a in listed if isinstance(a, Mapping)] if isinstance(listed, list) else []


def graph_link(alert: Mapping[str, Any] | None) -> str:
    """The alert's Prometheus graph link (a generatorURL: …/graph?g0.expr=…), if its payload carries one."""
    if not alert:
        return ""
    candidates = [alert.get("generatorURL"), *(a.get("generatorURL") for a in _alerts(alert))]
    links = alert.get("links")
    candidates += [link.get("url") for link in links if isinstance(link, Mapping)] if isinstance(links, list) else []
    return next((url for c in candidates if "g0.expr=" in (url := http_link(c))), "")


def alert_start(alert: Mapping[str, Any] | None) -> datetime | None:
    """When the alert (the earliest of its group) started firing, if its payload says."""
    starts = [parse_instant(a.get("startsAt")) for a in _alerts(alert or {})]
    return min((s for s in starts if s is not None), default=None)


def _bounded(answer: dict[str, Any]) -> dict[str, Any]:
    """The evaluation cut to what a first message can carry: fewer series, fewer points, a byte ceiling."""
    series = [{**s, "points": evenly(s["points"], GRAPH_POINTS)} for s in answer.get("series", [])[:GRAPH_SERIES]]
    head = {k: v for k, v in answer.items() if k not in ("series", "note", "points_kept")}

    def build(chosen: list[dict[str, Any]]) -> dict[str, Any]:
        kept = sum(len(s["points"]) for s in chosen)
        cut = answer.get("truncated") or len(chosen) < answer.get("series_total", 0) or kept < answer["points_total"]
        return {**head, "series": chosen, "series_returned": len(chosen), "points_kept": kept, "truncated": bool(cut)}

    return keep_within(series, build, GRAPH_BYTES)


async def alert_graph(alert: Mapping[str, Any] | None, prometheus: PrometheusSource | None, *,
                      now: datetime | None = None) -> tuple[str, str] | None:  # fmt: skip
    """(what it is, the data) for the first message, or None when the alert has no graph link or no Prometheus is
    configured. A Prometheus that fails says so in the data, never stops the incident."""
    link = graph_link(alert)
    if not link or prometheus is None:
        return None
    start = alert_start(alert) or now or datetime.now(timezone.utc)
    try:
        answer = await prometheus.evaluate_generator_url(link, at=start, minutes_before=MINUTES_BEFORE,
                                                         minutes_after=MINUTES_AFTER)  # fmt: skip
    except SourceError as exc:
        return "The alert's own graph: Prometheus could not evaluate the alert's expression", compact(exc.as_dict())
    title = (f"The alert's own graph: the expression of its graph link evaluated by the bot on Prometheus from "
             f"{MINUTES_BEFORE} minutes before the alert started until now (the expression comes from the alert)")
    return title, compact(_bounded(answer))


async def gather_alert_graph(alert: Mapping[str, Any] | None, providers: Providers) -> OpeningEvidence:
    """The opener's gather hook: the alert's own graph, when it has one and Prometheus is configured."""
    source = providers.source(ToolName.QUERY_PROMETHEUS)
    prometheus = source if isinstance(source, PrometheusSource) else None
    section = await alert_graph(alert, prometheus)
    return OpeningEvidence(sections=(section,) if section is not None else ())
