"""Server-sent events: frame encoding and the per-connection writer (pings, clean close, injected cuts)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

# The server puts each request's RecordedRequest here; a stream adds the bytes it writes to it.
REQUEST_RECORD: web.RequestKey[Any] = web.RequestKey("request_record", object)

__all__ = ["frame", "wire_json", "CLOSE", "PING", "serve_stream"]

log = logging.getLogger(__name__)

CLOSE = b""  # queued to end a stream cleanly
PING = b'event: ping\ndata: {"type": "ping"}\n\n'


def wire_json(value: Any) -> str:
    """Compact, standard JSON: a number too large for a float (a model may write 1e999) goes out as 1e999, where
    json.dumps would write `Infinity`, which is not JSON. NaN has no JSON form and raises ValueError."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        marker = uuid.uuid4().hex
        text = json.dumps(_mark_infinities(value, marker), separators=(",", ":"), allow_nan=False)
        return text.replace(f'"+{marker}"', "1e999").replace(f'"-{marker}"', "-1e999")


def _mark_infinities(value: Any, marker: str) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return f"{'+' if value > 0 else '-'}{marker}"
    if isinstance(value, dict):
        return {k: _mark_infinities(v, marker) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_infinities(v, marker) for v in value]
    return value


def frame(event: Mapping[str, Any]) -> bytes:
    """One SSE frame: `event: <type>` and one line of JSON data, then a blank line."""
    data = wire_json(event)  # JSON escapes newlines, so data stays one line
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


async def serve_stream(
    request: web.Request,
    queue: asyncio.Queue[bytes],
    *,
    ping_interval: float | None,
    cut_every: Callable[[], int | None],
) -> web.StreamResponse:
    """Write queued frames to the client until CLOSE (clean end) or an injected cut (abrupt end); a ping after
    each `ping_interval` seconds without a frame (None: never)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    record = request.get(REQUEST_RECORD)
    sent = 0
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), ping_interval)
            except TimeoutError:
                await response.write(PING)
                if record is not None:
                    record.response_bytes += len(PING)
                continue
            if item == CLOSE:
                await response.write_eof()
                return response
            await response.write(item)
            if record is not None:
                record.response_bytes += len(item)
            sent += 1
            every = cut_every()
            if every and sent >= every:
                # Closing the socket before the chunked terminator makes the client see a truncated body.
                if request.transport is not None:
                    request.transport.close()
                return response
    except ConnectionResetError:
        log.debug("stream client went away path=%s", request.path)
        return response
