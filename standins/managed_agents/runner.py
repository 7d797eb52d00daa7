"""A session's state machine: user events in, brain turns, spans, requires_action waits, and faults."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from .context import AgentContext, ToolAnswer
from .errors import invalid
from .session import Session
from .user_events import check_batch, content_text

__all__ = ["TurnRunner"]

log = logging.getLogger(__name__)
WINDOW = 5  # requires_action names at most this many pending events
_TURN: contextvars.ContextVar[int] = contextvars.ContextVar("managed_agents_turn", default=0)


class TurnRunner:
    """Runs one session: queues user messages, runs the brain one turn at a time, emits status events."""

    def __init__(self, session: Session, *, brain: Callable[[], Any], pace: float,
                 ignores_idle_interrupts: Callable[[], bool] = lambda: False) -> None:  # fmt: skip
        self.session = session
        self.pace = pace
        self._ignores_idle_interrupts = ignores_idle_interrupts
        self._brain = brain
        self._ctx = AgentContext(session, self)
        self._queue: deque[dict[str, Any]] = deque()
        self._turn: asyncio.Task[None] | None = None
        self._turns = 0
        self._kinds: dict[str, str] = {}  # actionable event id -> "custom" | "ask"
        self._answered: set[str] = set()
        self._waits: dict[str, asyncio.Future[ToolAnswer]] = {}
        self._early: dict[str, ToolAnswer] = {}  # answers that came before the agent started waiting
        self._spans: list[str] = []
        self._think = False  # the first model request of a turn thinks first
        self._gate = asyncio.Event()
        self._gate.set()
        self._helpers: set[asyncio.Task[None]] = set()
        self._last_stop: dict[str, Any] = {"type": "end_turn"}

    # -- user events ---------------------------------------------------------------------------
    def accept(self, events: object) -> list[dict[str, Any]]:
        """Validate a batch of user events (all or none), apply them in order, return them as stored."""
        if self.session.status == "terminated":
            raise invalid("session is terminated")
        batch = check_batch(events, self._kinds, self._answered)
        return [self._apply(event) for event in batch]

    def _apply(self, event: dict[str, Any]) -> dict[str, Any]:
        kind, emit = event["type"], self.session.emit
        if kind == "user.message":
            queued = emit({**event, "processed_at": None})
            self._queue.append(queued)
            self._maybe_start_next()
            return self.session.by_id.get(queued["id"], queued)
        if kind == "user.custom_tool_result":
            stored = emit(event)
            text = content_text(event.get("content") or [])
            self._resolve(event["custom_tool_use_id"], ToolAnswer(text, bool(event.get("is_error"))))
            return stored
        queued = emit({**event, "processed_at": None})
        stored = emit({k: v for k, v in queued.items() if k != "processed_at"})
        if kind == "user.tool_confirmation":
            denied = event["result"] == "deny"
            self._resolve(event["tool_use_id"], ToolAnswer(event.get("deny_message") or "", denied))
        elif kind == "user.interrupt" and self._turn is not None:
            # Nothing documents what an interrupt does to a turn idle on requires_action: the switch lets a test
            # have it ignored, the way a service that only interrupts a running turn would.
            if not (self.session.status == "idle" and self._ignores_idle_interrupts()):
                self._finish_turn({"type": "end_turn"}, cancel=True)
        return stored

    def _resolve(self, event_id: str, answer: ToolAnswer) -> None:
        self._answered.add(event_id)
        future = self._waits.get(event_id)
        if future is None:
            if self._turn is not None:
                self._early[event_id] = answer
        elif not future.done():
            future.set_result(answer)
        waiting = self._turn is not None and self.session.status == "idle"
        if waiting and all(f.done() for f in self._waits.values()):
            self._status("running")

    # -- turns -----------------------------------------------------------------------------------
    def _maybe_start_next(self) -> None:
        if self._turn is not None or not self._queue or self.session.status != "idle" or self.session.deleted:
            return
        queued = self._queue.popleft()
        self.session.emit({k: v for k, v in queued.items() if k != "processed_at"})
        self._status("running")
        self._turns += 1
        self._turn = asyncio.create_task(self._run_turn(content_text(queued["content"]), number=self._turns))

    async def _run_turn(self, text: str, *, number: int) -> None:
        _TURN.set(number)  # inherited by any task the brain starts, so check_live() knows its turn
        self._think = True
        first = number == 1
        if first:  # the container starts: a repository that could not be cloned is reported, and the turn goes on
            for error in self.session.mount_errors:
                self.session.emit({"type": "session.error", "error": error})
        try:
            brain = self._brain()
            await (brain.investigate if first else brain.follow_up)(self._ctx, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("brain turn failed session=%s", self.session.id)
            if self._turn is asyncio.current_task():
                self._close_spans()
                self.error("exhausted", message=f"{type(exc).__name__}: {exc}")
            return
        if self._turn is asyncio.current_task():
            self._finish_turn({"type": "end_turn"}, cancel=False)

    def _finish_turn(self, stop_reason: dict[str, Any], *, cancel: bool) -> None:
        task, self._turn = self._turn, None
        if cancel and task is not None and task is not asyncio.current_task():
            task.cancel()
        self._close_spans()
        for future in self._waits.values():
            future.cancel()
        self._waits.clear()
        self._idle(stop_reason)
        self._maybe_start_next()

    def _status(self, status: str) -> None:
        self.session.set_status(status)
        self.session.emit({"type": f"session.status_{status}"})

    def _idle(self, stop_reason: dict[str, Any]) -> None:
        self._last_stop = stop_reason
        self.session.set_status("idle")
        self.session.emit({"type": "session.status_idle", "stop_reason": stop_reason})

    # -- what AgentContext uses --------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def model_request(self, output_chars: int) -> AsyncIterator[None]:
        """One agent step: wait out any rescheduling, then a model request span that lasts `pace` seconds."""
        await self._gate.wait()
        self.check_live()
        if self.session.over_budget:  # no new model request past the ceiling
            self._finish_turn({"type": "budget_reached"}, cancel=False)
            raise asyncio.CancelledError("the session's budget is reached")
        start = self.session.emit({"type": "span.model_request_start"})
        self._spans.append(start["id"])
        if self.pace > 0:
            await asyncio.sleep(self.pace)  # the model "thinking", so a demo reads at human speed
            self.check_live()
        if self._think:
            self._think = False
            self.session.emit({"type": "agent.thinking"})
        yield
        if start["id"] in self._spans:
            self._spans.remove(start["id"])
            history = len(self.session.events)
            usage = {"input_tokens": 1800 + 60 * history, "output_tokens": 40 + output_chars // 4,
                     "cache_read_input_tokens": 1500 + 45 * history, "cache_creation_input_tokens": 240}
            self.session.add_usage(usage)
            self.session.emit({"type": "span.model_request_end", "model_request_start_id": start["id"],
                               "is_error": False, "model_usage": {**usage, "speed": "standard"}})
            self.session.emit({"type": "session.usage", "usage": self.session.usage_snapshot(),
                               "budget": self.session.budget})
            if self.session.over_budget:  # the turn ends here; the agent's next step finds it over
                self._finish_turn({"type": "budget_reached"}, cancel=False)

    def check_live(self) -> None:
        """Refuse agent actions from a turn that has ended (interrupted, failed, terminated)."""
        if self._turn is None or _TURN.get() != self._turns:
            raise asyncio.CancelledError("this agent turn has ended")

    def expect(self, event_id: str, kind: str) -> None:
        """Accept answers to this event from now on: kind "custom" (tool result) or "ask" (confirmation)."""
        self._kinds[event_id] = kind

    async def wait_for_action(self, event_id: str) -> ToolAnswer:
        """Go idle requires_action on an expected event and wait for its answer ("ask": is_error means denied)."""
        self.check_live()
        if event_id in self._early:
            return self._early.pop(event_id)
        future: asyncio.Future[ToolAnswer] = asyncio.get_running_loop().create_future()
        self._waits[event_id] = future
        pending = [eid for eid, f in self._waits.items() if not f.done()][:WINDOW]
        self._idle({"type": "requires_action", "event_ids": pending})
        try:
            return await future
        finally:
            self._waits.pop(event_id, None)

    def _close_spans(self) -> None:
        zero = {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
        while self._spans:
            self.session.emit({"type": "span.model_request_end", "model_request_start_id": self._spans.pop(0),
                               "is_error": True, "model_usage": zero})

    # -- faults and lifecycle ----------------------------------------------------------------------
    async def reschedule(self) -> None:
        """session.status_rescheduled, then running again (and back to idle if it was idle)."""
        if self.session.status == "terminated":
            raise RuntimeError(f"session {self.session.id} is terminated")
        was_idle = self.session.status == "idle"
        self._gate.clear()
        self.session.set_status("rescheduling")
        self.session.emit({"type": "session.status_rescheduled"})
        try:
            await asyncio.sleep(self.pace)
            self._status("running")
            if was_idle or self._turn is None:
                self._idle(self._last_stop)
        finally:
            self._gate.set()
        self._maybe_start_next()

    def error(self, retry_status: str, *, message: str = "Internal error", error_type: str = "unknown_error") -> None:
        """session.error; retrying reschedules, exhausted ends the turn, terminal terminates."""
        if retry_status not in ("retrying", "exhausted", "terminal"):
            raise ValueError(f"retry_status must be retrying, exhausted or terminal, not {retry_status!r}")
        if self.session.status == "terminated":
            raise RuntimeError(f"session {self.session.id} is terminated")
        self.session.emit({"type": "session.error", "error": {
            "type": error_type, "message": message, "retry_status": {"type": retry_status}}})
        if retry_status == "retrying":
            task = asyncio.get_running_loop().create_task(self.reschedule())
            self._helpers.add(task)
            task.add_done_callback(self._helpers.discard)
        elif retry_status == "exhausted":
            if self._turn is not None:
                self._finish_turn({"type": "retries_exhausted"}, cancel=True)
            else:
                self._idle({"type": "retries_exhausted"})
        else:
            self.terminate()

    def terminate(self) -> asyncio.Task[None] | None:
        """Cancel any turn and end the session: session.status_terminated. Returns the cancelled turn, if any."""
        if self.session.status == "terminated":
            return None
        task, self._turn = self._turn, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._close_spans()
        for future in self._waits.values():
            future.cancel()
        self._queue.clear()
        self._status("terminated")
        return task

    async def stop(self) -> None:
        """Cancel the running turn and helper tasks and wait for them to end."""
        tasks = [t for t in (self._turn, *self._helpers) if t is not None and t is not asyncio.current_task()]
        self._turn = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
