"""The card for a built-in tool call that the platform holds for confirmation: Allow/Deny while pending."""

from __future__ import annotations

import json
from typing import Any

from blocks import _kit as kit
from blocks.ids import ActionId, ButtonValue
from blocks.message import Message
from blocks.text import code_block, escape, one_line
from blocks.views import ConfirmationState, ConfirmationView

__all__ = ["confirmation_card"]

CONFIRMATION_BLOCK_ID = "incident_confirmation_actions"
_CODE_CHARS = 2000
_HEADERS = {
    ConfirmationState.PENDING: ":raised_hand: Confirmation needed",
    ConfirmationState.ALLOWED: ":white_check_mark: Allowed",
    ConfirmationState.DENIED: ":no_entry: Denied",
    ConfirmationState.CANCELLED: ":no_entry_sign: Cancelled",
}


def _code(raw: Any) -> str:
    return code_block(escape(str(raw)), max_chars=_CODE_CHARS)


def _path(tool_input: dict[str, Any]) -> str:
    path = tool_input.get("file_path") or tool_input.get("path") or ""
    if not path:
        return "(no path)"
    return "`" + one_line(escape(str(path)), 300).replace("`", "'") + "`"


def _input_blocks(name: str, tool_input: dict[str, Any]) -> list[dict]:
    """What the held call would do, shown the way a reviewer reads it."""
    if name == "bash" and "command" in tool_input:
        return [kit.section(f"*Command*\n{_code(tool_input['command'])}")]
    if name == "write":
        return [kit.section(f"*Write* {_path(tool_input)}\n{_code(tool_input.get('content', ''))}")]
    if name == "edit":
        old = tool_input.get("old_string", tool_input.get("old_str", ""))
        new = tool_input.get("new_string", tool_input.get("new_str", ""))
        return [
            kit.section(f"*Edit* {_path(tool_input)}\n*Replace*\n{_code(old)}"),
            kit.section(f"*With*\n{_code(new)}"),
        ]
    try:
        shown = json.dumps(tool_input, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        shown = repr(tool_input)
    return [kit.section(f"*Input*\n{_code(shown)}")]


def _decision_line(view: ConfirmationView) -> str:
    word = _HEADERS[view.state].split(" ", 1)[1]
    return kit.decision_line(word, view.decision, view.note, reason_label="Message to the agent")


def confirmation_card(view: ConfirmationView) -> Message:
    """The held tool call with Allow/Deny while pending; afterwards who decided and how."""
    pending = view.state is ConfirmationState.PENDING
    heading = _HEADERS.get(view.state, escape(str(view.state)))
    tool = one_line(escape(view.tool_name), 64).replace("`", "'") or "tool"
    blocks = [
        kit.header(heading),
        kit.section(f"The agent wants to use `{tool}`; the platform holds the call until someone decides."),
        *_input_blocks(view.tool_name, dict(view.tool_input)),
    ]
    if pending:
        value = ButtonValue(session_id=view.session_id, tool_use_id=view.tool_use_id, pr_number=None)
        blocks.append(
            kit.actions(
                CONFIRMATION_BLOCK_ID,
                kit.button(":white_check_mark: Allow", ActionId.ALLOW, value, style="primary"),
                kit.button(":no_entry: Deny", ActionId.DENY, value, style="danger"),
            )
        )
    else:
        blocks.append(kit.section(_decision_line(view)))
    word = "Confirmation needed" if pending else heading.split(" ", 1)[1]
    detail = view.tool_input.get("command") if view.tool_name == "bash" else view.tool_input.get("file_path")
    fallback = f"{word}: {tool}" + (f" {one_line(escape(str(detail)), 200)}" if detail else "")
    return Message(text=fallback, blocks=blocks)
