"""Socket Mode: the /link WebSocket, envelope delivery to one live connection, acks and their timing."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import WSMsgType, web

__all__ = ["Connection", "EnvelopeAck", "SocketHub"]

ACK_TIMEOUT = 3.0  # Slack gives commands, interactions and events three seconds


class EnvelopeAck(NamedTuple):
    """One delivered envelope: when it went out and when (if ever) its ack came back (time.monotonic())."""

    envelope_id: str
    type: str
    sent_at: float
    acked_at: float | None


@dataclass
class Connection:
    """One connected Socket Mode client; `draining` once told to disconnect (no new envelopes)."""

    id: int
    ws: web.WebSocketResponse
    ticket: str
    opened_at: float
    draining: bool = False

    @property
    def live(self) -> bool:
        """Whether envelopes may go to this connection."""
        return not self.draining and not self.ws.closed


class SocketHub:
    """Connections, tickets and in-flight envelopes; `on_change` is called on every state change."""

    def __init__(self, *, app_id: str, on_change: Callable[[], None]) -> None:
        self.app_id = app_id
        self.connections: list[Connection] = []
        self._acks: dict[str, EnvelopeAck] = {}
        self.envelopes: list[dict[str, Any]] = []
        self.stray_frames: list[Any] = []  # frames that acked nothing we sent
        self.connects = 0
        self._tickets: set[str] = set()
        self._pending: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._ids = itertools.count(1)
        self._rr = itertools.count()
        self._live = asyncio.Event()
        self._on_change = on_change

    @property
    def acks(self) -> list[EnvelopeAck]:
        """Every delivered envelope in sending order, with its ack time."""
        return list(self._acks.values())

    def issue_ticket(self) -> str:
        """A ticket for apps.connections.open's URL."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return ticket

    def _refresh(self) -> None:
        if any(c.live for c in self.connections):
            self._live.set()
        else:
            self._live.clear()
        self._on_change()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Accept a client with a valid ticket, say hello, then read acks until it goes."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        ws = web.WebSocketResponse(autoping=True, timeout=1.0)
        await ws.prepare(request)
        conn = Connection(next(self._ids), ws, ticket, time.monotonic())
        await ws.send_json({
            "type": "hello",
            "num_connections": sum(c.live for c in self.connections) + 1,
            "debug_info": {"host": "applink-standin", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        })
        self.connections.append(conn)
        self.connects += 1
        self._refresh()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_frame(msg.data)
        finally:
            self.connections.remove(conn)
            self._refresh()
        return ws

    def _on_frame(self, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            self.stray_frames.append(data)
            return
        envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
        record = self._acks.get(envelope_id) if isinstance(envelope_id, str) else None
        if record is None or record.acked_at is not None:
            self.stray_frames.append(frame)  # unknown or repeated ack: Slack ignores it
            self._on_change()
            return
        self._acks[record.envelope_id] = record._replace(acked_at=time.monotonic())
        future = self._pending.pop(envelope_id, None)
        if future is not None and not future.done():
            payload = frame.get("payload")
            future.set_result(payload if isinstance(payload, dict) else {})
        self._on_change()

    async def _pick(self, timeout: float) -> Connection:
        """One live connection (round robin, like Slack picks one), waiting up to `timeout` for one."""
        while True:
            live = [c for c in self.connections if c.live]
            if live:
                return live[next(self._rr) % len(live)]
            try:
                await asyncio.wait_for(self._live.wait(), timeout)
            except TimeoutError:
                raise TimeoutError(f"no Socket Mode client connected within {timeout:g} s "
                                   f"(connections so far: {self.connects})") from None

    async def deliver(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool,
                      retry: tuple[int, str] | None = None, ack_timeout: float = ACK_TIMEOUT,
                      connect_timeout: float = 10.0) -> dict[str, Any] | None:
        """Send one envelope to one live client; the ack's payload ({} if none), or None after ack_timeout."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": accepts_response_payload}
        if retry is not None:
            envelope["retry_attempt"], envelope["retry_reason"] = retry
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        text = json.dumps(envelope)
        self._pending[envelope_id] = future  # registered before sending: an ack may beat send_str's return
        try:
            while True:
                conn = await self._pick(connect_timeout)
                self._acks[envelope_id] = EnvelopeAck(envelope_id, kind, time.monotonic(), None)
                try:
                    await conn.ws.send_str(text)
                    break
                except (ConnectionError, RuntimeError):  # closed under us: try another connection
                    del self._acks[envelope_id]
                    conn.draining = True
                    self._refresh()
            self.envelopes.append(envelope)
            self._on_change()
            try:
                return await asyncio.wait_for(asyncio.shield(future), ack_timeout)
            except TimeoutError:
                return None
        finally:
            self._pending.pop(envelope_id, None)

    async def disconnect_all(self, reason: str) -> int:
        """Ask every live client to reconnect elsewhere; returns how many were asked."""
        asked = 0
        for conn in [c for c in self.connections if c.live]:
            conn.draining = True
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_json({"type": "disconnect", "reason": reason,
                                         "debug_info": {"host": "applink-standin"}})
                asked += 1
        self._refresh()
        return asked

    async def close(self) -> None:
        """Close every connection (going away) and give up on pending acks."""
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server stopping")
