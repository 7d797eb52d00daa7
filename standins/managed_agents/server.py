"""ManagedAgentsStandin: the aiohttp server on loopback and its Python control surface for tests and the demo."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from standins.loopback import serve_on_loopback
from standins.waiting import ChangeWaiter

from .catalog import CatalogApi
from .clock import new_id
from .errors import ApiError, error_response
from .files_skills import FilesSkillsApi
from .runner import TurnRunner
from .session import Session
from .sessions_api import SessionsApi
from .sse import REQUEST_RECORD
from .store import Registry

__all__ = ["ManagedAgentsStandin", "RecordedRequest"]

log = logging.getLogger(__name__)
BETA = "managed-agents-2026-04-01"
_BETA_PATHS = re.compile(r"/v1/(agents|environments|sessions)(/|$)")


@dataclass
class RecordedRequest:
    """One request as the stand-in received it; `status` is filled in once answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    json: Any
    headers: dict[str, str]
    status: int | None = None
    at: float = 0.0  # time.monotonic() on arrival
    response_bytes: int = 0  # body bytes sent back (an SSE stream's grow as it is written)


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float | None


class ManagedAgentsStandin:
    """A local Managed Agents API (REST + SSE) for the real `anthropic` client, with a rule-based brain."""

    def __init__(self, pace: float = 0.0, brain: Any = None, *, ping_interval: float | None = 15.0,
                 api_key: str | None = None, github_url: str | None = None) -> None:
        self.pace = pace
        self.github_url = github_url  # a GitHub stand-in's base URL: github_repository resources are cloned from it
        self.ping_interval = ping_interval  # None: streams opened from now on send no pings (silence is silent)
        self.api_key = api_key
        self.registry = Registry()
        self.requests: list[RecordedRequest] = []
        self.sessions: dict[str, Session] = {}
        self.cut_every: int | None = None
        self.ignore_interrupts_while_idle = False  # True: a user.interrupt reaching a turn idle on requires_action
        #                                            is recorded and changes nothing
        self.mount_prefix: str | None = None  # a folder every file is mounted under instead (the asked path below it)
        self.base_url = ""
        self._brain = brain
        self._failures: list[_Failure] = []
        self._runner: web.AppRunner | None = None
        self._waiter = ChangeWaiter(self, self._state_lines)

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> str:
        """Listen on 127.0.0.1 (a free port); returns the base URL for AsyncAnthropic(base_url=...)."""
        self._waiter.start()
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        for api in (CatalogApi(self.registry), FilesSkillsApi(self.registry), SessionsApi(self)):
            app.add_routes(api.routes())
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Cancel agent turns, close every stream cleanly, stop listening, remove session folders."""
        for session in self.sessions.values():
            if session.runner is not None:
                await session.runner.stop()
            session.close_streams()
            await asyncio.to_thread(session.sandbox.remove)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._waiter.stop()

    # -- sessions (used by the HTTP handlers) ----------------------------------------------------
    def open_session(self, **fields: Any) -> Session:
        """Create a session with its runner and register it."""
        session = Session(clock=self.registry.clock, on_change=self._changed, **fields)
        session.runner = TurnRunner(session, brain=self._load_brain, pace=self.pace,
                                    ignores_idle_interrupts=lambda: self.ignore_interrupts_while_idle)
        self.registry.next_seq(session.id)
        self.sessions[session.id] = session
        self._changed()
        return session

    async def delete_session(self, session: Session) -> None:
        """Stop the session's agent, emit session.deleted, close its streams."""
        if session.runner is not None:
            await session.runner.stop()
        session.emit({"type": "session.deleted"})
        session.deleted = True
        session.close_streams()
        await asyncio.to_thread(session.sandbox.remove)

    def _load_brain(self) -> Any:
        if self._brain is None:
            self._brain = importlib.import_module(".investigator", __package__)
        return self._brain

    def _session(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise KeyError(f"no session {session_id!r}; known: {', '.join(self.sessions) or 'none'}")
        return session

    # -- control surface -------------------------------------------------------------------------
    def inject_stream_cut(self, every: int | None) -> None:
        """Abruptly close each SSE response after `every` data frames (None turns it off)."""
        self.cut_every = every

    def coarse_timestamps(self, seconds: float) -> None:
        """Cut every timestamp from now on to a grain of `seconds`, so events close together share processed_at."""
        self.registry.clock.resolution = seconds

    def fail_next(self, method: str, path_regex: str, status: int, *, count: int = 1,
                  retry_after: float | None = None) -> None:
        """Answer the next `count` requests whose method matches (or "*") and path fullmatches with an API error."""
        self._failures.append(_Failure(method.upper(), re.compile(path_regex), status, count, retry_after))

    def emit(self, session_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Append any event (id and processed_at filled if missing) to history and the live streams."""
        return self._session(session_id).emit(dict(event))

    async def reschedule(self, session_id: str) -> None:
        """session.status_rescheduled, then running again."""
        await self._runner_of(session_id).reschedule()

    def error(self, session_id: str, retry_status: str = "exhausted", *, message: str = "Internal error",
              error_type: str = "unknown_error") -> None:
        """Emit session.error with this retry_status and do what it implies (reschedule, idle, terminate)."""
        self._runner_of(session_id).error(retry_status, message=message, error_type=error_type)

    async def terminate(self, session_id: str) -> None:
        """End the session: cancel its turn, session.status_terminated."""
        task = self._runner_of(session_id).terminate()
        if task is not None:
            await asyncio.wait([task])

    def cpu_seconds(self) -> float:
        """CPU time used by this process."""
        return time.process_time()

    def _runner_of(self, session_id: str) -> TurnRunner:
        runner = self._session(session_id).runner
        assert runner is not None
        return runner

    # -- waiting ---------------------------------------------------------------------------------
    def _changed(self) -> None:
        """Wake wait_for() callers; coalesced into one pending notification."""
        self._waiter.changed()

    async def wait_for(self, predicate: Callable[[ManagedAgentsStandin], Any], timeout: float = 10.0) -> None:
        """Wait until predicate(server) is true, re-checked on every server change; TimeoutError explains."""
        await self._waiter.wait_for(predicate, timeout)

    def _state_lines(self) -> list[str]:
        lines = []
        for session in self.sessions.values():
            recent = ", ".join(e["type"] for e in session.events[-8:])
            lines.append(f"  {session.id}: status={session.status} streams={session.stream_count} last=[{recent}]")
        for req in self.requests[-5:]:
            lines.append(f"  request {req.method} {req.path} -> {req.status}")
        return lines

    # -- HTTP plumbing ---------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = None
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = json.loads(await request.read() or b"null")
            except ValueError:
                body = None
        record = RecordedRequest(request.method, request.path, {k: request.query.getall(k) for k in request.query},
                                 body, dict(request.headers), at=time.monotonic())
        self.requests.append(record)
        request[REQUEST_RECORD] = record
        self._changed()
        request_id = new_id("req")
        try:
            self._check(request)
            response = await handler(request)
        except ApiError as err:
            response = error_response(err, request_id)
        except web.HTTPException as exc:
            status = 404 if exc.status in (404, 405) else exc.status
            response = error_response(ApiError(status, f"{request.method} {request.path} is not implemented"
                                               if status == 404 else exc.reason), request_id)
        except Exception:
            log.exception("stand-in handler failed: %s %s", request.method, request.path)
            response = error_response(ApiError(500, "internal stand-in error"), request_id)
        if not response.prepared:
            response.headers.setdefault("request-id", request_id)
        if isinstance(response, web.Response) and isinstance(response.body, bytes | bytearray):
            record.response_bytes = len(response.body)
        record.status = response.status
        self._changed()
        return response

    def _check(self, request: web.Request) -> None:
        for failure in self._failures:
            if failure.remaining > 0 and failure.method in ("*", request.method) \
                    and failure.pattern.fullmatch(request.path):
                failure.remaining -= 1
                headers = {"retry-after": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
                raise ApiError(failure.status, f"injected failure ({failure.status})", headers=headers)
        auth = request.headers.get("authorization", "")
        key = request.headers.get("x-api-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")
        if not key or (self.api_key is not None and key != self.api_key):
            raise ApiError(401, "invalid x-api-key" if key else "missing API key (x-api-key or Authorization)")
        routed = getattr(request.match_info, "http_exception", None) is None  # unknown routes answer 404 first
        if routed and _BETA_PATHS.match(request.path):
            betas = [b.strip() for b in request.headers.get("anthropic-beta", "").split(",")]
            if BETA not in betas:
                raise ApiError(400, f"this endpoint is in beta: send the `anthropic-beta: {BETA}` header")
