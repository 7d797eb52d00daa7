"""Prometheus' HTTP API (/api/v1/query_range) as evidence: bounded series for query_prometheus and the alert's graph."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.sources.base import HttpSource, SourceError
from bot.sources.bounded import Caps, cut, shape_matrix
from bot.sources.inputs import InputError, duration_seconds, integer, query_text

__all__ = ["PrometheusSource", "auto_step", "generator_expression"]

PROMETHEUS_MAX_POINTS = 11_000  # Prometheus refuses a range query above this many points per series
MIN_STEP = 1.0
_NICE_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_EXPR_PARAM = re.compile(r"^g(\d+)\.expr$")
_HINT = "narrow it with label matchers, sum by (...) or topk(...)"


def auto_step(window: float, max_points: int) -> float:
    """The smallest readable step (1s, 2s, 5s … 1d, then whole days) giving at most max_points points."""
    for step in _NICE_STEPS:
        if math.floor(window / step) + 1 <= max_points:
            return float(step)
    return 86400.0 * math.ceil(window / 86400 / (max_points - 1))


def generator_expression(url: str) -> str:
    """The PromQL expression of a Prometheus generatorURL (…/graph?g0.expr=<expr>&g0.tab=1)."""
    params = parse_qs(urlsplit(url).query, keep_blank_values=True)
    exprs = sorted((int(m.group(1)), values[0]) for key, values in params.items() if (m := _EXPR_PARAM.match(key)))
    if not exprs or not exprs[0][1].strip():
        raise InputError("not a Prometheus graph URL: it has no g0.expr parameter")
    return exprs[0][1].strip()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _param(seconds: float) -> str:
    return f"{seconds:.6f}".rstrip("0").rstrip(".")


def _seconds(moment: datetime, name: str) -> float:
    if moment.tzinfo is None:
        raise InputError(f"{name} must carry a time zone")
    return moment.timestamp()


class PrometheusSource(HttpSource):
    """One team's Prometheus, queried over its HTTP API; answers bounded by caps, failures as SourceError."""

    name = "prometheus"
    tool_name = "query_prometheus"

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0, eval_timeout: float | None = None,
                 caps: Caps = Caps(), max_query_chars: int = 4000, max_minutes: int = 7 * 24 * 60,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        super().__init__(url, token=token, timeout=timeout)
        # Prometheus gives up first, so a slow query comes back with its own message rather than our timeout.
        self.eval_timeout = eval_timeout if eval_timeout is not None else max(timeout * 0.8, timeout - 5)
        if self.eval_timeout < 1e-6:
            raise ValueError("eval_timeout must be at least a microsecond")
        self.caps = caps
        self.max_query_chars = max_query_chars
        self.max_minutes = max_minutes
        self._clock = clock

    @property
    def tool(self) -> dict[str, Any]:
        """The custom tool definition for the agent (the contract's name and inputs)."""
        c = self.caps
        return {
            "type": "custom",
            "name": self.tool_name,
            "description": (
                "Run a PromQL range query against the team's Prometheus, ending now. Answers each series' labels "
                f"and [unix_seconds, value] points: at most {c.max_series} series and {c.max_points} points per "
                "series (evenly downsampled); `truncated`, `series_total` and `points_total` say what was left "
                "out. Narrow a broad query with label matchers, sum by (...) or topk(...)."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "PromQL expression"},
                    "minutes": {"type": "integer", "description": "look-back window in minutes (default 60)",
                                "minimum": 1, "maximum": self.max_minutes},  # fmt: skip
                    "step": {"type": ["number", "string"],
                             "description": "seconds between points, or a duration like 30s or 5m (default: "
                                            f"chosen to give at most {c.max_points} points)"},  # fmt: skip
                },
                "required": ["query"],
            },
        }

    async def run_tool(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Answer a query_prometheus call (query, minutes, step); SourceError when it gives no evidence."""
        query, minutes, step = self._arguments(arguments, ("query", "minutes", "step"))
        return await self.query_range(query, minutes=minutes, step=step)  # type: ignore[arg-type]

    async def query_range(self, query: str, *, minutes: int | None = 60, step: float | str | None = None,
                          end: datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """The series of `query` over the `minutes` before `end` (default now), bounded by the caps."""
        try:
            text = query_text(query, max_chars=self.max_query_chars, language="PromQL")
            span = integer(minutes, name="minutes", default=60, low=1, high=self.max_minutes)
            stop = self._clock() if end is None else _seconds(end, "end")
        except InputError as exc:
            raise self._error("invalid_input", str(exc)) from None
        return await self._range(text, stop - span * 60, stop, step)

    async def evaluate_generator_url(self, url: str, *, at: datetime, minutes_before: int = 30,
                                     minutes_after: int = 10) -> dict[str, Any]:  # fmt: skip
        """The alert's own graph: the generatorURL's expression around `at` (the alert's start), up to now.

        Only the expression is taken from the URL: the query goes to this source's Prometheus, never to the
        host the URL names."""
        try:
            expr = query_text(generator_expression(url), max_chars=self.max_query_chars, language="PromQL")
            before = integer(minutes_before, name="minutes_before", default=30, low=0, high=self.max_minutes)
            after = integer(minutes_after, name="minutes_after", default=10, low=0, high=self.max_minutes)
            moment = _seconds(at, "at")
            start, stop = moment - before * 60, min(moment + after * 60, self._clock())
            if stop - start < MIN_STEP:
                raise InputError("the window around the alert's start is empty (is the start in the future?)")
            if stop - start > self.max_minutes * 60:
                raise InputError(f"the window around the alert's start exceeds {self.max_minutes} minutes")
        except InputError as exc:
            raise self._error("invalid_input", str(exc)) from None
        answer = await self._range(expr, start, stop, None)
        return {"expr": expr, "alert_start": _iso(moment), **answer}

    async def check(self) -> str:
        """One line saying the server answers queries (with this token), or SourceError."""
        status, body = await self._request("POST", "/api/v1/query", form={"query": "vector(1)"})
        await self._data(status, body)
        return f"Prometheus at {self.display_url} answers queries"

    async def _range(self, query: str, start: float, end: float, step: float | str | None) -> dict[str, Any]:
        # Whole seconds: shorter, readable timestamps. The end rounds up, so the newest sample stays in the window.
        window = round(end - start)
        end = math.ceil(end)
        start = end - window
        try:
            seconds = auto_step(window, self.caps.max_points) if step is None else self._step(step, window)
        except InputError as exc:
            raise self._error("invalid_input", str(exc)) from None
        # Prometheus evaluates at start, start + step, …: a window that ends on a step keeps the newest samples.
        start = end - seconds * math.floor(window / seconds)
        form = {"query": query, "start": _param(start), "end": _param(end), "step": _param(seconds),
                "timeout": _param(self.eval_timeout)}  # fmt: skip
        status, body = await self._request("POST", "/api/v1/query_range", form=form)
        data, warnings = await self._data(status, body)
        if not isinstance(data, dict) or data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise self._error("bad_response", "Prometheus answered a range query without a matrix", status)
        envelope: dict[str, Any] = {"query": query, "start": _iso(start), "end": _iso(end),
                                    "step": int(seconds) if seconds.is_integer() else seconds}  # fmt: skip
        if warnings:
            envelope["warnings"] = [cut(str(w), 300)[0] for w in warnings[:5]]
        return shape_matrix(data["result"], self.caps, envelope, hint=_HINT)

    def _step(self, step: float | str, window: float) -> float:
        seconds = duration_seconds(step, name="step")
        if seconds < MIN_STEP:
            raise InputError(f"step must be at least {MIN_STEP:g} s, got {step!r}")
        if seconds > window:
            raise InputError(f"step {step!r} is longer than the {window / 60:g}-minute window")
        points = math.floor(window / seconds) + 1
        if points > PROMETHEUS_MAX_POINTS:
            least = math.ceil(window / (PROMETHEUS_MAX_POINTS - 1))
            raise InputError(f"step {step!r} gives {points} points per series; Prometheus refuses more than "
                             f"{PROMETHEUS_MAX_POINTS:,}: use a step of at least {least} s")  # fmt: skip
        return seconds

    async def _data(self, status: int, body: bytes) -> tuple[Any, list[Any]]:
        """The `data` of a success envelope (and its warnings), or SourceError with Prometheus' own errorType/error."""
        try:
            envelope = await self._json(body, status)
        except SourceError:
            if status >= 300:
                raise self._status_error(status, body) from None
            raise
        if not isinstance(envelope, dict):
            raise self._error("bad_response", f"Prometheus answered HTTP {status} with unexpected JSON", status)
        if envelope.get("status") == "error" or status >= 300:
            kind = str(envelope.get("errorType") or "")
            message = str(envelope.get("error") or "")
            if not kind and not message:
                raise self._status_error(status, body)
            raise self._error(kind or "error", message or f"HTTP {status}", status)
        warnings = envelope.get("warnings")
        return envelope.get("data"), warnings if isinstance(warnings, list) else []
