"""Bolt's Socket Mode handler, timing each envelope from its receipt on the socket to its ack."""

from __future__ import annotations

import json
import time
from collections import OrderedDict

from aiohttp import WSMessage, WSMsgType
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.ops.metrics import BotMetrics

__all__ = ["MeasuredSocketModeHandler"]

KEEP_RECEIPTS = 1000  # envelopes received but not yet handled; older ones are forgotten


class MeasuredSocketModeHandler(AsyncSocketModeHandler):
    """The receipt time comes from the client's on-message hook, which runs as the frame is read, before the
    envelope waits in the client's queue and for a task: under load that wait is most of a late ack."""

    def __init__(self, app: AsyncApp, *, app_token: str, metrics: BotMetrics) -> None:
        super().__init__(app, app_token=app_token)
        self._metrics = metrics
        self._received: OrderedDict[str, float] = OrderedDict()
        self.client.on_message_listeners.append(self._on_receipt)

    async def _on_receipt(self, message: WSMessage) -> None:
        if message.type != WSMsgType.TEXT or '"envelope_id"' not in message.data:
            return
        try:
            envelope_id = json.loads(message.data).get("envelope_id")
        except (ValueError, AttributeError):
            return
        if isinstance(envelope_id, str):
            self._received[envelope_id] = time.monotonic()
            while len(self._received) > KEEP_RECEIPTS:
                self._received.popitem(last=False)

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Bolt's own handling (the base class's two calls), with the ack timed and a missing ack counted."""
        received = self._received.pop(req.envelope_id, None) or time.monotonic()
        bolt_resp = await run_async_bolt_app(self.app, req)
        await send_async_response(client, req, bolt_resp, time.time())
        if bolt_resp.status == 200:  # send_async_response acks exactly then
            self._metrics.acks.labels(req.type).observe(time.monotonic() - received)
        else:
            self._metrics.unacked.labels(req.type).inc()
