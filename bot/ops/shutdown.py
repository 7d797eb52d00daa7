"""Bounded shutdown: one time budget shared by the steps of a drain, and what a replica releases as it goes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

__all__ = ["Deadline", "Releases"]

log = logging.getLogger(__name__)

CLOSING_RESERVE = 1.0  # seconds kept back from the drain for releasing and closing connections


class Deadline:
    """A time budget: each step gets what the steps before it left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self, *, keep: float = 0.0) -> float:
        """Seconds left, less `keep` held back for later steps; never negative."""
        return max(self._end - time.monotonic() - keep, 0.0)

    async def step(self, what: str, work: Coroutine[Any, Any, Any], *, keep: float = 0.0) -> None:
        """Run one step within what is left (at least a moment, so a quick step always gets to run; with no budget
        at all, a stop that waits for nothing, unbounded); a step that overruns is cancelled, and a failing one
        logged: the shutdown goes on either way."""
        bound = max(self.left(keep=keep), 0.05) if self.seconds > 0 else None
        try:
            await asyncio.wait_for(work, bound)
        except TimeoutError:
            log.warning("shutdown: %s did not finish within the grace period; went on without it", what)
        except Exception:
            log.exception("shutdown: %s failed; went on without it", what)


class Releases:
    """What this replica holds and gives back when it stops, by name (the replicas' leases register here)."""

    def __init__(self) -> None:
        self._hooks: dict[str, Callable[[], Awaitable[None]]] = {}

    def add(self, name: str, release: Callable[[], Awaitable[None]]) -> None:
        """Register something to release at shutdown, after the writes are finished."""
        self._hooks[name] = release

    async def run(self, deadline: Deadline) -> None:
        """Release everything, each within what the deadline leaves."""
        for name, release in self._hooks.items():
            await deadline.step(f"releasing {name}", _call(release))


async def _call(release: Callable[[], Awaitable[None]]) -> None:
    await release()
