"""The readiness checks a replica registers: accepting work, Slack over Socket Mode, provisioning, the API."""

from __future__ import annotations

from collections.abc import Callable

from anthropic import APIError, AsyncAnthropic
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.ops.readiness import CHECK_TIMEOUT, Check, CheckResult

__all__ = ["flag", "managed_agents_reachable", "socket_mode_connected"]


def flag(is_set: Callable[[], bool], *, yes: str, no: str) -> Check:
    """A check that reads a condition the bot keeps (provisioning done, not draining)."""

    async def check() -> CheckResult:
        return CheckResult(True, yes) if is_set() else CheckResult(False, no)

    return check


def socket_mode_connected(handler: Callable[[], AsyncSocketModeHandler | None]) -> Check:
    """Connected to Slack over Socket Mode now (the client's own view: session open, pings answered)."""

    async def check() -> CheckResult:
        current = handler()
        if current is None:
            return CheckResult(False, "not connected to Slack (starting, or stopping)")
        if await current.client.is_connected():
            return CheckResult(True, "connected over Socket Mode")
        return CheckResult(False, "not connected over Socket Mode yet (connecting, or reconnecting)")

    return check


def managed_agents_reachable(client: AsyncAnthropic) -> Check:
    """The Managed Agents API answers this replica's key: one small list call, no retries, within the timeout."""
    probe = client.with_options(max_retries=0, timeout=CHECK_TIMEOUT)

    async def check() -> CheckResult:
        try:
            await probe.beta.agents.list(limit=1)
        except APIError as exc:
            status = getattr(exc, "status_code", None)
            return CheckResult(False, f"the Managed Agents API did not answer: {type(exc).__name__}"
                                      + (f" ({status})" if status else ""))  # fmt: skip
        return CheckResult(True, "the Managed Agents API answers")

    return check
