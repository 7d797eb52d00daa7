"""Sending user events exactly once, although the SDK retries POSTs without an idempotency key."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx2
from anthropic import APIConnectionError, APIStatusError, AsyncAnthropic, BadRequestError

__all__ = ["find_answer", "send_once"]

log = logging.getLogger(__name__)


async def find_answer(client: AsyncAnthropic, session_id: str, event_type: str, field: str, value: str) -> dict | None:
    """The event in the session's history that already answers `value` (by `field`), if any."""
    async for ev in client.beta.sessions.events.list(session_id, types=[event_type], limit=1000):
        if getattr(ev, field, None) == value:
            return ev.to_dict(mode="json")
    return None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("content", "result", "deny_message", "is_error")
    return all(a.get(k) in (b.get(k), None) or (k == "is_error" and bool(a.get(k)) == bool(b.get(k))) for k in keys)


async def send_once(
    client: AsyncAnthropic,
    session_id: str,
    event: dict[str, Any],
    *,
    answered_key: tuple[str, str],
    attempts: int = 6,
) -> bool:
    """Send an answer event; True if ours is the answer the session has, False if another answer came first."""
    field, value = answered_key
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            await client.beta.sessions.events.send(session_id, events=[event])
            return True
        except BadRequestError:
            # The API refuses a second answer to one call: maybe our own earlier try landed.
            existing = await find_answer(client, session_id, event["type"], field, value)
            if existing is None:
                raise
            return _same(event, existing)
        except (APIConnectionError, httpx2.HTTPError, APIStatusError) as exc:
            if isinstance(exc, APIStatusError) and exc.status_code < 500 and exc.status_code not in (408, 409, 429):
                raise
            existing = await _quiet_find(client, session_id, event["type"], field, value)
            if existing is not None:
                return _same(event, existing)
            if attempt == attempts:
                raise
            log.warning("sending %s for %s failed (%s); retrying in %.1fs", event["type"], value, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
    return False


async def _quiet_find(client: AsyncAnthropic, session_id: str, event_type: str, field: str, value: str) -> dict | None:
    try:
        return await find_answer(client, session_id, event_type, field, value)
    except (APIConnectionError, httpx2.HTTPError, APIStatusError):
        return None
