"""One-line summaries of tool calls for the progress message."""

from __future__ import annotations

import json

from blocks.views import StepState, StepView

from bot.run.state import ToolCall
from bot.secrets import redact
from bot.words import ToolName

__all__ = ["step_view", "summarise_input"]

_PREFERRED_KEYS = ("command", "file_path", "path", "pattern", "url", "query", "service", "metric", "commit", "title")


def summarise_input(name: str, tool_input: dict) -> str:
    """The part of a tool's input a person wants to see, on one line."""
    if name == ToolName.OPEN_PULL_REQUEST:
        return str(tool_input.get("title", ""))
    if name == ToolName.REQUEST_APPROVAL:
        pr = tool_input.get("pr_number")  # left out: the latest PR, or no PR at all (an action): its summary says
        return f"PR #{pr}" if pr is not None else first_line(str(tool_input.get("summary", "")), 100)
    if name == ToolName.MERGE_PULL_REQUEST:
        return f"PR #{tool_input.get('pr_number')}"
    parts = [f"{tool_input[k]}" for k in _PREFERRED_KEYS if k in tool_input and tool_input[k] not in (None, "")]
    if name == ToolName.GET_METRICS and parts:
        return " ".join(parts)
    if parts:
        return parts[0]
    return redact(json.dumps(tool_input, separators=(",", ":")))[:200] if tool_input else ""


def first_line(text: str, limit: int = 160) -> str:
    """The first non-blank line, stripped, redacted and cut: all a progress step shows of a tool's output."""
    for line in text.splitlines():
        if line.strip():
            return redact(line.strip())[:limit]
    return ""


def step_view(call: ToolCall) -> StepView:
    """Draw a tool call as a progress step."""
    if call.result is None:
        state = StepState.WAITING if call.custom else StepState.RUNNING
    else:
        state = StepState.ERROR if call.is_error else StepState.OK
    return StepView(
        tool=call.name,
        summary=summarise_input(call.name, dict(call.input)),
        state=state,
        custom=call.custom,
        result_preview=first_line(call.result or ""),
    )
