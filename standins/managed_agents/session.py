"""One session's state: wire fields, event history, live stream subscribers."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .clock import Clock, new_id
from .pricing import amount, list_price
from .sse import CLOSE, frame

if TYPE_CHECKING:
    from .runner import TurnRunner
    from .sandbox import Sandbox

__all__ = ["Session", "STATUSES"]

STATUSES = ("idle", "running", "rescheduling", "terminated")


class Session:
    """A session as the API shows it, plus what the stand-in needs to run it."""

    def __init__(
        self,
        *,
        agent: dict[str, Any],
        environment_id: str,
        metadata: dict[str, str],
        title: str | None,
        resources: list[dict[str, Any]],
        files: dict[str, bytes],
        sandbox: Sandbox,
        clock: Clock,
        on_change: Callable[[], None],
        repositories: dict[str, str] | None = None,
        mount_errors: list[dict[str, Any]] | None = None,
        budget: dict[str, Any] | None = None,
    ) -> None:
        self.id = new_id("sesn")
        self.agent = agent
        self.environment_id = environment_id
        self.metadata = metadata
        self.title = title
        self.resources = resources
        self.files = files
        self.repositories = repositories or {}  # mount path -> url of each cloned github_repository
        self.mount_errors = mount_errors or []  # session.error objects for repositories that could not be cloned
        self.clock = clock
        self.created_at = self.updated_at = clock.stamp()
        self.archived_at: str | None = None
        self.status = "idle"
        self.deleted = False
        self.events: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.emitted_at: dict[str, float] = {}  # event id -> time.monotonic() when first sent to the streams
        self.usage = {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0,
                      "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}}
        self.budget = budget  # the spend ceiling (wire shape), or None
        self._price = list_price(agent.get("model") or {})
        self._cost = Fraction(0)  # cents at list price, exactly
        self.memory: dict[str, Any] = {}
        self.sandbox = sandbox
        self.runner: TurnRunner | None = None
        self._subscribers: set[asyncio.Queue[bytes]] = set()
        self._on_change = on_change
        self._started = time.monotonic()
        self._active = 0.0
        self._running_since: float | None = None

    def emit(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append an event to history (once processed) and send it to every open stream; returns it."""
        if not isinstance(event.get("type"), str):
            raise ValueError(f"an event needs a string `type`: {event!r}")
        event = {"id": new_id("sevt"), **event}
        if "processed_at" not in event:
            event["processed_at"] = self.clock.stamp()
        if event["processed_at"] is not None:
            self.events.append(event)
            self.by_id[event["id"]] = event
        self.emitted_at.setdefault(event["id"], time.monotonic())
        encoded = frame(event)
        for queue in self._subscribers:
            queue.put_nowait(encoded)
        self._on_change()
        return event

    def set_status(self, status: str) -> None:
        """Change status (no event), keeping the running-time statistics."""
        now = time.monotonic()
        if self._running_since is not None:
            self._active += now - self._running_since
        self._running_since = now if status == "running" else None
        self.status = status
        self.updated_at = self.clock.stamp()
        self._on_change()

    def subscribe(self) -> asyncio.Queue[bytes]:
        """A queue that receives every event emitted from now on (no replay)."""
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._subscribers.add(queue)
        self._on_change()
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes]) -> None:
        """Stop feeding a stream's queue."""
        self._subscribers.discard(queue)
        self._on_change()

    def close_streams(self) -> None:
        """End every open stream cleanly."""
        for queue in self._subscribers:
            queue.put_nowait(CLOSE)
        self._subscribers.clear()

    @property
    def stream_count(self) -> int:
        """How many streams are open on this session."""
        return len(self._subscribers)

    def add_usage(self, usage: dict[str, int]) -> None:
        """Add one model request's usage to the session's totals, and its list cost."""
        for key in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
            self.usage[key] += usage[key]
        self.usage["cache_creation"]["ephemeral_5m_input_tokens"] += usage["cache_creation_input_tokens"]
        if self._price is not None:
            self._cost += self._price.cents(usage)

    @property
    def list_cost_cents(self) -> int:
        """What the session has cost so far at list price, in whole cents (rounded down)."""
        return int(self._cost)

    @property
    def over_budget(self) -> bool:
        """Whether the tracked list cost has reached the budget."""
        return self.budget is not None and self._cost >= int(self.budget["max_list_cost"]["amount"])

    def usage_snapshot(self) -> dict[str, Any]:
        """The cumulative usage as `session.usage` and the session's `usage` show it."""
        snapshot: dict[str, Any] = copy.deepcopy(self.usage)
        if self._price is not None:
            snapshot["list_cost"] = amount(self._cost)
        return snapshot

    def wire(self) -> dict[str, Any]:
        """The session as the API returns it."""
        now = time.monotonic()
        active = self._active + (now - self._running_since if self._running_since is not None else 0.0)
        return {
            "id": self.id, "type": "session", "status": self.status, "agent": copy.deepcopy(self.agent),
            "environment_id": self.environment_id, "metadata": dict(self.metadata), "title": self.title,
            "resources": copy.deepcopy(self.resources), "created_at": self.created_at,
            "updated_at": self.updated_at, "archived_at": self.archived_at, "vault_ids": [],
            "outcome_evaluations": [], "budget": copy.deepcopy(self.budget), "deployment_id": None,
            "stats": {"active_seconds": round(active, 3), "duration_seconds": round(now - self._started, 3)},
            "usage": {**self.usage_snapshot(), "active_seconds": round(active, 3)},
        }
