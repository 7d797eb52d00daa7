"""The page's live view: one WebSocket per page, a snapshot pushed whenever what that page shows has changed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from ..api import SlackError
from .snapshot import Watch

__all__ = ["COALESCE", "LiveHub"]

log = logging.getLogger(__name__)

COALESCE = 0.05  # seconds: a burst of changes (a post, its echo, its ack) becomes one push


@dataclass(eq=False)  # pages are kept in a set, by identity
class _Page:
    ws: web.WebSocketResponse
    watch: Watch | None = None
    last: str = ""  # the JSON last sent, so an unchanged view is not sent again


class LiveHub:
    """Connected pages; `build(watch)` makes the snapshot a page with that watch shows."""

    def __init__(self, build: Callable[[Watch], dict[str, Any]]) -> None:
        self._build = build
        self._pages: set[_Page] = set()
        self._dirty = False
        self._task: asyncio.Task[None] | None = None

    @property
    def pages(self) -> int:
        """How many pages are connected."""
        return len(self._pages)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """A page connects, says what it watches ({"type": "watch", user, channel, thread}), and gets snapshots."""
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        page = _Page(ws)
        self._pages.add(page)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(page, msg.data)
        finally:
            self._pages.discard(page)
        return ws

    async def _on_frame(self, page: _Page, data: str) -> None:
        try:
            frame = json.loads(data)
            page.watch = Watch(user=str(frame["user"]), channel=str(frame["channel"]),
                               thread=str(frame["thread"]) if frame.get("thread") else None)
        except (ValueError, KeyError, TypeError):
            await page.ws.send_json({"type": "error", "error": "a watch frame needs user and channel"})
            return
        page.last = ""  # a new watch always gets a full snapshot
        await self._send(page)

    def changed(self) -> None:
        """Something in the workspace changed: push to the pages soon, once per burst."""
        if not self._pages:
            return
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._push())

    async def _push(self) -> None:
        while self._dirty:
            await asyncio.sleep(COALESCE)
            self._dirty = False
            for page in list(self._pages):
                await self._send(page)

    async def _send(self, page: _Page) -> None:
        if page.watch is None or page.ws.closed:
            return
        try:
            text = json.dumps({"type": "state", **self._build(page.watch)}, default=str)
        except SlackError as err:
            text = json.dumps({"type": "error", "error": err.error})
        if text == page.last:
            return
        page.last = text
        try:
            await page.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            log.debug("a page went away while being updated")

    async def close(self) -> None:
        """Close every page's socket (the server is stopping)."""
        if self._task is not None:
            self._task.cancel()
        for page in list(self._pages):
            with contextlib.suppress(Exception):
                await page.ws.close(code=1001, message=b"server stopping")
