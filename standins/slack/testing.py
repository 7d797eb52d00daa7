"""Helpers for tests that drive the Slack stand-in through the real slack_bolt / slack_sdk clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["bolt_app", "socket_mode"]


def bolt_app(api_url: str, token: str = "xoxb-test") -> AsyncApp:
    """A real AsyncApp whose client talks to the stand-in."""
    return AsyncApp(client=AsyncWebClient(token=token, base_url=api_url))


@asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str = "xapp-test", *,
                      timeout: float = 10.0) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect the app over Socket Mode (bounded: connect_async retries forever) and close it afterwards."""
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await asyncio.wait_for(handler.connect_async(), timeout)
        yield handler
    finally:
        await handler.close_async()
