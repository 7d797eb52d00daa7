"""LokiStandin: Loki's query endpoints on loopback, over log lines a test loads, with a strict LogQL subset.

Written from Grafana Loki's HTTP API reference (docs/sources/reference/loki-http-api.md: "Query logs within a
range of time", "Query labels", timestamps and the response formats) and Loki's error handling (errors are
plain text with status 400, e.g. "parse error at line 1, col 8: ..."). No Loki installs from the package
registries here, so this stands in for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from standins.loopback import serve_on_loopback

from .logql import LogQLError, LogQuery, parse
from .params import NS, ParamError, parse_range, parse_window

__all__ = ["LokiStandin", "RecordedRequest"]

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int


@dataclass(slots=True)
class _Fault:
    status: int
    text: str


@dataclass(slots=True)
class _Store:
    streams: dict[Labels, list[tuple[int, str]]] = field(default_factory=dict)


def _ns(ts: int | datetime) -> int:
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return int(ts.timestamp()) * NS + ts.microsecond * 1000
    return int(ts)


def _plain(status: int, text: str) -> web.Response:
    """Loki's error answer: the message as plain text."""
    return web.Response(status=status, text=text, content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})  # fmt: skip


class LokiStandin:
    """A local Loki for tests: push() lines, then query them through /loki/api/v1/query_range and /labels."""

    def __init__(self, *, token: str | None = None, max_entries_limit: int = 5000) -> None:
        self.token = token
        self.max_entries_limit = max_entries_limit
        self.requests: list[RecordedRequest] = []
        self.url = ""
        self._store = _Store()
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None

    def push(self, labels: Mapping[str, str], entries: Iterable[tuple[int | datetime, str]]) -> None:
        """Add log lines (timestamp in ns or an aware datetime, line) to the stream with these labels."""
        key: Labels = tuple(sorted((str(k), str(v)) for k, v in labels.items()))
        if not key:
            raise ValueError("a stream needs at least one label")
        stream = self._store.streams.setdefault(key, [])
        stream.extend((_ns(ts), str(line)) for ts, line in entries)
        stream.sort(key=lambda e: e[0])

    def fail_next(self, status: int, text: str, *, times: int = 1) -> None:
        """Answer the next `times` query requests with this status and plain-text body."""
        self._faults.extend(_Fault(status, text) for _ in range(times))

    async def start(self) -> str:
        """Listen on 127.0.0.1 (a free port); returns the base URL, e.g. http://127.0.0.1:PORT."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/loki/api/v1/query_range", self._query_range)
        app.router.add_get("/loki/api/v1/labels", self._labels)
        app.router.add_get("/ready", self._ready)
        self._runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await self._answer(request, handler)
        self.requests.append(RecordedRequest(request.method, request.path, dict(request.query),
                                             dict(request.headers), response.status))  # fmt: skip
        return response

    async def _answer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            return _plain(401, "authentication required: send Authorization: Bearer <token>")
        if request.path != "/ready" and self._faults:
            fault = self._faults.pop(0)
            return _plain(fault.status, fault.text)
        if len(request.query.getall("query", [])) > 1:
            return _plain(400, 'the "query" parameter was given more than once')
        try:
            return await handler(request)
        except web.HTTPException as exc:  # 404, 405: Loki's router answers these in plain text too
            return _plain(exc.status, exc.reason)
        except (ParamError, LogQLError) as exc:
            return _plain(400, str(exc))

    async def _ready(self, request: web.Request) -> web.Response:
        return web.Response(text="ready")

    def _select(self, query: LogQuery) -> list[Labels]:
        return [key for key in self._store.streams if query.selects(dict(key))]

    async def _query_range(self, request: web.Request) -> web.Response:
        began = time.perf_counter()
        params = parse_range(request.query, max_entries=self.max_entries_limit)
        query = parse(params.query)
        hits: list[tuple[int, Labels, str]] = []
        scanned = scanned_bytes = 0
        for key in self._select(query):
            for ts, line in self._store.streams[key]:
                if params.start <= ts < params.end:
                    scanned += 1
                    scanned_bytes += len(line.encode())
                    if query.keeps(line):
                        hits.append((ts, key, line))
        hits.sort(key=lambda h: h[0], reverse=not params.forward)
        grouped: dict[Labels, list[list[str]]] = {}
        for ts, key, line in hits[: params.limit]:
            grouped.setdefault(key, []).append([str(ts), line])
        result = [{"stream": dict(key), "values": grouped[key]} for key in sorted(grouped)]
        summary = {"execTime": round(time.perf_counter() - began, 6), "totalLinesProcessed": scanned,
                   "totalBytesProcessed": scanned_bytes}  # fmt: skip
        return web.json_response({"status": "success", "data": {"resultType": "streams", "result": result,
                                                                  "stats": {"summary": summary}}})  # fmt: skip

    async def _labels(self, request: web.Request) -> web.Response:
        start, end = parse_window(request.query, default_since_ns=6 * 3600 * NS)
        keys = list(self._store.streams)
        if request.query.get("query"):
            selector = parse(request.query["query"])
            if selector.filters:
                raise ParamError("the labels query must be a log stream selector, without line filters")
            keys = self._select(selector)
        names = {name for key in keys if any(start <= ts < end for ts, _ in self._store.streams[key])
                 for name, _ in key}  # fmt: skip
        return web.json_response({"status": "success", "data": sorted(names)})
