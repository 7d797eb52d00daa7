"""Loki's HTTP API (/loki/api/v1/query_range) as evidence: bounded log lines for query_logs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.sources.base import HttpSource, SourceError
from bot.sources.bounded import Caps, cut, keep_within, shape_matrix
from bot.sources.inputs import InputError, integer, query_text

__all__ = ["LokiSource"]

_NS = 1_000_000_000
_HINT = "narrow it with stream selectors or sum by (...)"


def _iso_ns(ns: int) -> str:
    """RFC 3339 with Loki's nanoseconds."""
    seconds, fraction = divmod(ns, _NS)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}Z"


class LokiSource(HttpSource):
    """One team's Loki, queried over its HTTP API (newest lines first); answers bounded, failures as SourceError."""

    name = "loki"
    tool_name = "query_logs"

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0, caps: Caps = Caps(),
                 max_query_chars: int = 4000, max_minutes: int = 7 * 24 * 60, default_limit: int = 100,
                 max_limit: int = 1000, clock_ns: Callable[[], int] = time.time_ns) -> None:  # fmt: skip
        super().__init__(url, token=token, timeout=timeout)
        self.caps = caps
        self.max_query_chars = max_query_chars
        self.max_minutes = max_minutes
        self.default_limit = default_limit
        self.max_limit = max_limit
        self._clock_ns = clock_ns

    @property
    def tool(self) -> dict[str, Any]:
        """The custom tool definition for the agent (the contract's name and inputs)."""
        return {
            "type": "custom",
            "name": self.tool_name,
            "description": (
                "Run a LogQL query against the team's Loki over the last `minutes`, newest lines first. Answers "
                "the lines with their timestamps and stream labels, bounded in size (long lines are cut); "
                "`truncated`, `lines_total` and `limit_reached` say what was left out. Select streams with "
                "{label=\"value\"} and filter lines with |= \"text\", != \"text\", |~ \"regex\"."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "LogQL, e.g. {app=\"checkout\"} |= \"error\""},
                    "minutes": {"type": "integer", "description": "look-back window in minutes (default 60)",
                                "minimum": 1, "maximum": self.max_minutes},  # fmt: skip
                    "limit": {"type": "integer", "minimum": 1, "maximum": self.max_limit,
                              "description": f"most lines to fetch (default {self.default_limit})"},  # fmt: skip
                },
                "required": ["query"],
            },
        }

    async def run_tool(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Answer a query_logs call (query, minutes, limit); SourceError when it gives no evidence."""
        query, minutes, limit = self._arguments(arguments, ("query", "minutes", "limit"))
        return await self.query_range(query, minutes=minutes, limit=limit)  # type: ignore[arg-type]

    async def query_range(self, query: str, *, minutes: int | None = 60, limit: int | None = None,
                          end: datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """The newest `limit` lines (or a metric query's series) of the `minutes` before `end` (default now)."""
        try:
            text = query_text(query, max_chars=self.max_query_chars, language="LogQL")
            span = integer(minutes, name="minutes", default=60, low=1, high=self.max_minutes)
            count = integer(limit, name="limit", default=self.default_limit, low=1, high=self.max_limit)
            if end is not None and end.tzinfo is None:
                raise InputError("end must carry a time zone")
        except InputError as exc:
            raise self._error("invalid_input", str(exc)) from None
        stop = self._clock_ns() if end is None else int(end.timestamp() * _NS)
        start = stop - span * 60 * _NS
        params = {"query": text, "start": str(start), "end": str(stop), "limit": str(count), "direction": "backward"}
        status, body = await self._request("GET", "/loki/api/v1/query_range", params=params)
        data = await self._data(status, body)
        envelope: dict[str, Any] = {"query": text, "start": _iso_ns(start), "end": _iso_ns(stop)}
        match data.get("resultType"):
            case "streams":
                return self._lines(data["result"], {**envelope, "limit": count}, count)
            case "matrix":
                return shape_matrix(data["result"], self.caps, envelope, hint=_HINT)
            case other:
                raise self._error("bad_response", f"Loki answered a range query with resultType {other!r}", status)

    async def check(self) -> str:
        """One line saying the server answers (with this token), or SourceError."""
        stop = self._clock_ns()
        status, body = await self._request("GET", "/loki/api/v1/labels",
                                           params={"start": str(stop - 3600 * _NS), "end": str(stop)})  # fmt: skip
        await self._data(status, body, want=list)
        return f"Loki at {self.display_url} answers queries"

    def _lines(self, result: list[Any], envelope: dict[str, Any], limit: int) -> dict[str, Any]:
        caps = self.caps
        labels: list[dict[str, str]] = []
        entries: list[tuple[int, int, str, int | None]] = []  # ns, stream index, line (cut), original length if cut
        for stream in result:
            stream = stream if isinstance(stream, dict) else {}
            stream_labels = (stream.get("stream") or {}).items()
            labels.append({str(k): cut(str(v), caps.max_label_chars)[0] for k, v in stream_labels})
            for value in stream.get("values") or []:
                raw = str(value[1])
                line, was_cut = cut(raw, caps.max_line_chars)
                entries.append((int(value[0]), len(labels) - 1, line, len(raw) if was_cut else None))
        entries.sort(key=lambda e: e[0], reverse=True)
        total = len(entries)

        def build(chosen: list[tuple[int, int, str, int | None]]) -> dict[str, Any]:
            order: dict[int, int] = {}
            lines = []
            for ns, index, line, original in chosen:
                item: dict[str, Any] = {"ts": _iso_ns(ns), "stream": order.setdefault(index, len(order)), "line": line}
                if original is not None:
                    item["cut_from_chars"] = original
                lines.append(item)
            answer = {**envelope, "streams": [labels[i] for i in order], "lines": lines,
                      "truncated": len(chosen) < total or any(e[3] is not None for e in chosen),
                      "lines_returned": len(chosen), "lines_total": total, "limit_reached": total >= limit}  # fmt: skip
            notes = []
            if len(chosen) < total:
                notes.append(f"showing the newest {len(chosen)} of {total} lines")
            if total >= limit:
                notes.append(f"Loki returned the {limit}-line limit: older lines in the window were not fetched")
            if notes:
                answer["note"] = "; ".join(notes) + "; narrow the query with line filters or a shorter window"
            return answer

        return keep_within(entries[: caps.max_lines], build, caps.max_bytes)

    async def _data(self, status: int, body: bytes, *, want: type = dict) -> Any:
        """The `data` of a success answer; Loki's errors are plain text (or a Prometheus-style JSON envelope)."""
        if status >= 300:
            try:
                envelope = await self._json(body, status)
            except SourceError:
                raise self._status_error(status, body) from None
            if isinstance(envelope, dict) and envelope.get("status") == "error" and envelope.get("error"):
                raise self._error(str(envelope.get("errorType") or "error"), str(envelope["error"]), status)
            raise self._status_error(status, body)
        envelope = await self._json(body, status)
        data = envelope.get("data") if isinstance(envelope, dict) and envelope.get("status") == "success" else None
        if not isinstance(data, want) or (want is dict and not isinstance(data.get("result"), list)):
            raise self._error("bad_response", "Loki answered without a success envelope", status)
        return data
