"""Sliding-window counters: how many incidents a key (a person, a channel, the integrations) opened in the last hour.

`RateLimiter` is the interface. `MemoryRateLimiter` serves one process; a Redis-backed one for several replicas keeps
a sorted set per key (score = time) and does `acquire` in one script: ZREMRANGEBYSCORE and ZCARD on every key, then
ZADD on all of them only if none is full.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Limit", "MemoryRateLimiter", "RateLimiter", "Refusal"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `most` acquisitions per `window` seconds under `key`; `most` of 0 or less means no limit."""

    key: str
    most: int
    window: float = 3600.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """The limit that was full, and when (Unix time) it next has room."""

    limit: Limit
    retry_at: float


class RateLimiter(Protocol):
    async def acquire(self, limits: Sequence[Limit]) -> Refusal | None:
        """Count one against every limit, or against none when any is full (then say which, and until when)."""
        ...


class MemoryRateLimiter:
    """A RateLimiter for one process: the times of recent acquisitions, per key."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._times: dict[str, deque[float]] = {}

    async def acquire(self, limits: Sequence[Limit]) -> Refusal | None:
        now = self._clock()
        active = [limit for limit in limits if limit.most > 0]
        for limit in active:
            times = self._recent(limit, now)
            if len(times) >= limit.most:  # room again once enough of the oldest have left the window
                return Refusal(limit, times[len(times) - limit.most] + limit.window)
        for limit in active:
            self._times.setdefault(limit.key, deque()).append(now)
        return None

    def _recent(self, limit: Limit, now: float) -> deque[float]:
        times = self._times.get(limit.key, deque())
        while times and times[0] <= now - limit.window:
            times.popleft()
        if not times:
            self._times.pop(limit.key, None)
        return times
