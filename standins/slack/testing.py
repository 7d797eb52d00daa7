"""Helpers for tests that drive the Slack stand-in through the real slack_bolt / slack_sdk clients."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from .server import SlackStandin

__all__ = ["bolt_app", "scrub_env", "socket_mode", "standard_workspace"]


def scrub_env(setenv: Callable[[str, str], None], delenv: Callable[[str], None]) -> None:
    """Clear SLACK_* and empty the proxy variables (pass monkeypatch.setenv / monkeypatch.delenv)."""
    for name in list(os.environ):
        if name.startswith("SLACK_"):
            delenv(name)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        setenv(name, "")


def standard_workspace(**overrides: Any) -> SlackStandin:
    """Alice and Bob (group S0SRE), #oncall and #alerts, tokens xoxb-test / xapp-test."""
    options: dict[str, Any] = {
        "users": {"U0ALICE": {"name": "alice", "real_name": "Alice"}, "U0BOB": {"name": "bob", "real_name": "Bob"}},
        "usergroups": {"S0SRE": ["U0ALICE", "U0BOB"]},
        "channels": {"C0ONCALL": "oncall", "C0ALERTS": "alerts"},
        "bot_user_id": "U0BOT", "bot_id": "B0BOT", "team_id": "T0TEAM",
        "bot_token": "xoxb-test", "app_token": "xapp-test",
    }
    options.update(overrides)
    return SlackStandin(**options)


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
