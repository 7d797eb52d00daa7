"""Noticing a stalled event loop: how late a short timer wakes up."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.ops.metrics import BotMetrics

__all__ = ["LoopWatchdog"]

log = logging.getLogger(__name__)

INTERVAL = 0.25  # seconds between beats


class LoopWatchdog:
    """Beats every INTERVAL on the loop; the lag is how late the last beat came, or how overdue the next one is.

    /livez runs on the loop too, so a loop that is blocked outright answers nothing and the probe times out; this
    catches the loop that still answers now and then but too late to ack Slack within three seconds."""

    def __init__(self, metrics: BotMetrics, *, limit: float, interval: float = INTERVAL) -> None:
        self.limit = limit
        self._metrics = metrics
        self._interval = interval
        self._beat = time.monotonic()
        self._last_lag = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start beating (idempotent)."""
        if self._task is None or self._task.done():
            self._beat = time.monotonic()
            self._task = asyncio.create_task(self._run(), name="loop-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    @property
    def lag(self) -> float:
        """Seconds the loop is behind: the last beat's lateness, or the next beat's if it is later already."""
        overdue = time.monotonic() - self._beat - self._interval
        return max(self._last_lag, overdue, 0.0)

    @property
    def live(self) -> bool:
        return self.lag <= self.limit

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self._interval)
            self._beat = time.monotonic()
            self._last_lag = max(self._beat - before - self._interval, 0.0)
            self._metrics.loop_lag.set(self._last_lag)
            if self._last_lag > self.limit:
                log.warning("the event loop ran a timer %.1f s late (limit %.1f s): something blocks it",
                            self._last_lag, self.limit)  # fmt: skip
