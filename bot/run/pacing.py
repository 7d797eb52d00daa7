"""Spacing Slack writes per channel (Slack allows about one post a second per channel)."""

from __future__ import annotations

import asyncio
import time

__all__ = ["ChannelPacer"]


class ChannelPacer:
    """Spaces Slack writes to one channel; one pacer is shared by every writer, so the spacing holds across them."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, channel: str) -> None:
        """Wait for this channel's next write slot."""
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(channel, 0.0))
            self._next[channel] = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
