"""What a custom tool's handler is given and what it answers: the shapes every tool module shares."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol

from bot.agents.evidence import Evidence
from bot.prs.base import PullRequestStore
from bot.run.state import IncidentState, ToolCall
from bot.run.values import shown
from bot.sources.registry import Providers

__all__ = ["ToolAnswer", "ToolContext", "ToolHandler", "bad_pr_number", "error", "ok"]


class ToolAnswer(NamedTuple):
    text: str
    is_error: bool = False


class ToolContext(Protocol):
    """The incident a tool call belongs to: its evidence (None without INCIDENT_DATA), its PR store, its session and
    the configured evidence sources."""

    evidence: Evidence | None
    prs: PullRequestStore
    session_id: str
    providers: Providers


# One tool: the answer to a call, or None when a person answers it (request_approval).
ToolHandler = Callable[[ToolContext, ToolCall, IncidentState], Awaitable[ToolAnswer | None]]


def ok(value: Any) -> ToolAnswer:
    """A successful answer: the value as compact JSON."""
    return ToolAnswer(json.dumps(value, separators=(",", ":")))


def error(message: str) -> ToolAnswer:
    """An error answer the agent reads: {"error": message}."""
    return ToolAnswer(json.dumps({"error": message}), is_error=True)


def bad_pr_number(tool: str, value: object) -> ToolAnswer:
    """The error for a pr_number that is not one open_pull_request returned."""
    return error(f"{tool}: pr_number must be the number open_pull_request returned (a whole number such as 1), "
                 f"not {shown(value)}")  # fmt: skip
