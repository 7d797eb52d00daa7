"""Follows one session: open the SSE stream, read history (after the last event it has), dedupe, reconnect."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterable, Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx2
from anthropic import APIError, APIStatusError, APITimeoutError, AsyncAnthropic, NotFoundError
from anthropic.types.beta.sessions import BetaManagedAgentsSessionDeletedEvent

from bot.run.events import Event, SessionEvent, is_queued

__all__ = ["follow_session", "SeenEvents", "STREAM_READ_TIMEOUT"]

log = logging.getLogger(__name__)

STREAM_READ_TIMEOUT = 90.0  # silence this long on a stream: reopen it (the API may or may not ping idle streams)
BACKOFF_START, BACKOFF_CAP = 0.5, 15.0


class SeenEvents:
    """The events already folded in, by id: history and stream overlap, and a reconnect reads history again (from
    `latest`, the newest processed_at seen: events may share a timestamp, so the re-read includes it)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self.latest: datetime | None = None

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def first_time(self, event: Event) -> bool:
        """True the first time an event comes (always for one without an id); remembers it."""
        event_id = str(getattr(event, "id", "") or "")
        if not event_id:
            return True
        if is_queued(event):
            if event_id in self._ids:  # already seen processed (e.g. in history): the queued echo is stale
                return False
            event_id += "#queued"  # a user event is echoed queued, then processed, under one id: both count
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        when = _processed_at(event)
        if when is not None and (self.latest is None or when > self.latest):
            self.latest = when
        return True


def _processed_at(event: Any) -> datetime | None:
    value = getattr(event, "processed_at", None)
    if isinstance(value, str):  # an event type the SDK does not know keeps its fields as sent
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def _fatal(exc: BaseException) -> bool:
    return isinstance(exc, APIStatusError) and 400 <= exc.status_code < 500 and exc.status_code not in (408, 409, 429)


async def follow_session(
    client: AsyncAnthropic,
    session_id: str,
    *,
    on_event: Callable[[SessionEvent], Awaitable[None]],
    on_live: Callable[[], Awaitable[None]],
    finished: Callable[[], bool],
    before_history: Callable[[], Awaitable[None]] | None = None,
    read_timeout: float = STREAM_READ_TIMEOUT,
    since: Callable[[], datetime | None] = lambda: None,
) -> str:
    """Deliver every event of a session once to `on_event` until `finished()`; returns why it stopped.

    On each (re)connect: open the stream first, then run `before_history` (e.g. send the first message),
    then read the history processed at or after `since()` (all of it when None), then call `on_live`, then read
    the stream. The caller dedupes by event id. A stream silent for `read_timeout` is reopened at once: nothing
    says the API pings an idle stream.
    """
    backoff = BACKOFF_START
    pending_first = before_history
    streaming = client.with_options(timeout=httpx2.Timeout(read_timeout, connect=10.0))
    while True:
        try:
            async with await streaming.beta.sessions.events.stream(session_id) as stream:
                if pending_first is not None:
                    await pending_first()
                    pending_first = None
                async for ev in _history(client, session_id, since()):
                    await on_event(ev)
                await on_live()
                if finished():
                    return "finished"
                async for ev in stream:
                    backoff = BACKOFF_START
                    await on_event(ev)
                    if finished():
                        return "finished"
            log.info("stream for %s ended while the session is not finished; reconnecting", session_id)
        except NotFoundError:
            log.warning("session %s no longer exists", session_id)
            # As the API would have said it; no processed_at: the incident's clock stops at its last event.
            await on_event(BetaManagedAgentsSessionDeletedEvent.model_construct(
                id=f"local-deleted-{session_id}", type="session.deleted"))  # fmt: skip
            return "deleted"
        except (httpx2.ReadTimeout, APITimeoutError):
            log.info("stream for %s quiet for %gs; reopening it", session_id, read_timeout)
            backoff = BACKOFF_START
            continue
        except (httpx2.HTTPError, APIError) as exc:
            if _fatal(exc):
                log.error("following %s failed permanently: %s", session_id, exc)
                return "failed"
            log.warning("stream for %s dropped (%s); reconnecting in %.1fs", session_id, type(exc).__name__, backoff)
        await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
        backoff = min(backoff * 2, BACKOFF_CAP)


def _history(client: AsyncAnthropic, session_id: str, since: datetime | None) -> AsyncIterable[SessionEvent]:
    """The session's events in processed order, those processed at or after `since` (queued ones have no time)."""
    if since is None:
        return client.beta.sessions.events.list(session_id, limit=1000)
    return client.beta.sessions.events.list(session_id, limit=1000, created_at_gte=since)
