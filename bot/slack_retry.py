"""Waiting out Slack's 429s for as long as Retry-After says.

slack_sdk's AsyncRateLimitErrorRetryHandler reads only the first character of the header under aiohttp (it
indexes the string), so `Retry-After: 30` waits 3 s and the retry is refused again. This subclass reads the
whole value; everything else is the library's.
"""

from __future__ import annotations

import asyncio
import random
from typing import Optional

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

__all__ = ["RetryAfterHandler", "retry_after_seconds"]

MAX_WAIT = 300.0


def retry_after_seconds(headers: object) -> float:
    """The Retry-After value in seconds (1 when absent or unreadable), capped at 5 minutes."""
    items = headers.items() if hasattr(headers, "items") else []
    for key, value in items:
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) and value else value
            try:
                return min(max(float(str(raw).strip()), 0.0), MAX_WAIT)
            except ValueError:
                return 1.0
    return 1.0


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 after the full Retry-After (plus jitter)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: Optional[HttpResponse] = None,
        error: Optional[Exception] = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        await asyncio.sleep(retry_after_seconds(response.headers) + random.random())
        state.increment_current_attempt()
