"""Helpers for tests that drive the stand-in through the SDK: a scripted brain and stream utilities."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from .context import AgentContext

__all__ = ["Script", "ScriptedBrain", "user_message", "tool_result", "ends_turn", "read_until"]

Script = Callable[[AgentContext, str], Awaitable[None]]


async def _say_back(ctx: AgentContext, message: str) -> None:
    await ctx.say(f"follow-up: {message}")


class ScriptedBrain:
    """A stand-in brain whose turns run whatever scripts the test set; records calls and cancellations."""

    def __init__(self, first: Script = _say_back, later: Script = _say_back) -> None:
        self.first = first
        self.later = later
        self.calls: list[tuple[str, str]] = []
        self.results: list[Any] = []
        self.release = asyncio.Event()  # for scripts that wait on the test
        self.cancelled = asyncio.Event()

    async def investigate(self, ctx: AgentContext, message: str) -> None:
        """First user.message of a session."""
        self.calls.append(("investigate", message))
        await self._run(self.first, ctx, message)

    async def follow_up(self, ctx: AgentContext, message: str) -> None:
        """Every later user.message."""
        self.calls.append(("follow_up", message))
        await self._run(self.later, ctx, message)

    async def _run(self, script: Script, ctx: AgentContext, message: str) -> None:
        try:
            await script(ctx, message)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


def user_message(text: str) -> dict[str, Any]:
    """A user.message event param."""
    return {"type": "user.message", "content": [{"type": "text", "text": text}]}


def tool_result(tool_use_id: str, text: str, *, is_error: bool = False) -> dict[str, Any]:
    """A user.custom_tool_result event param answering one agent.custom_tool_use."""
    return {"type": "user.custom_tool_result", "custom_tool_use_id": tool_use_id,
            "content": [{"type": "text", "text": text}], "is_error": is_error}


def ends_turn(ev: Any) -> bool:
    """Whether a stream event is an idle that ends the turn (anything but requires_action)."""
    return ev.type == "session.status_idle" and ev.stop_reason.type != "requires_action"


async def read_until(stream: Any, done: Callable[[Any], bool], *,
                     on_event: Callable[[Any], Awaitable[None]] | None = None, timeout: float = 10.0) -> list[Any]:
    """Events from an open SDK stream up to and including the first for which done() is true."""
    seen: list[Any] = []
    async with asyncio.timeout(timeout):
        async for ev in stream:
            seen.append(ev)
            if on_event is not None:
                await on_event(ev)
            if done(ev):
                return seen
    raise AssertionError(f"stream ended before the condition; saw {[e.type for e in seen]}")
