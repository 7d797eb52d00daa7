"""Validation of the user events a client sends (POST /v1/sessions/{id}/events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid
from .validate import check_keys

__all__ = ["check_batch", "content_text"]

_BLOCKS = {"user.message": ("text", "image", "document", "redacted"),
           "user.custom_tool_result": ("text", "image", "document", "search_result")}
_KEYS = {
    "user.message": ("type", "content"),
    "user.custom_tool_result": ("type", "custom_tool_use_id", "content", "is_error"),
    "user.tool_confirmation": ("type", "tool_use_id", "result", "deny_message"),
    "user.interrupt": ("type", "session_thread_id"),
}
_TARGET = {"user.custom_tool_result": ("custom_tool_use_id", "custom", "agent.custom_tool_use"),
           "user.tool_confirmation": ("tool_use_id", "ask", "agent.tool_use awaiting confirmation")}


def content_text(content: list[dict[str, Any]]) -> str:
    """The text of a content block list (other blocks are left out)."""
    return "\n".join(block["text"] for block in content if block.get("type") == "text")


def _content(event: Mapping[str, Any], where: str, *, required: bool) -> list[dict[str, Any]]:
    content = event.get("content")
    if content is None and not required:
        return []
    if not isinstance(content, list) or (required and not content):
        raise invalid(f"{where}.content: expected a non-empty list of content blocks")
    allowed = _BLOCKS[event["type"]]
    for i, block in enumerate(content):
        if not isinstance(block, dict) or block.get("type") not in allowed:
            raise invalid(f"{where}.content[{i}].type: expected one of {', '.join(allowed)}")
        if block["type"] == "text" and not isinstance(block.get("text"), str):
            raise invalid(f"{where}.content[{i}].text: Field required")
    return content


def _check_one(event: object, where: str, kinds: Mapping[str, str], answered: set[str]) -> dict[str, Any]:
    kind = event.get("type") if isinstance(event, dict) else None
    if kind not in _KEYS:
        raise invalid(f"{where}.type: the stand-in accepts {', '.join(_KEYS)}; got {kind!r}")
    assert isinstance(event, dict)
    check_keys(event, _KEYS[kind], where)
    out = {k: v for k, v in event.items() if v is not None}
    if kind in _BLOCKS:
        out["content"] = _content(event, where, required=kind == "user.message")
    if kind in _TARGET:
        field, expected, label = _TARGET[kind]
        target = event.get(field)
        if not isinstance(target, str) or kinds.get(target) != expected:
            raise invalid(f"{where}.{field}: {target!r} does not name an {label} event in this session")
        if target in answered:
            raise invalid(f"{where}.{field}: {target} was already answered")
        answered.add(target)
    if kind == "user.tool_confirmation" and event.get("result") not in ("allow", "deny"):
        raise invalid(f"{where}.result: expected 'allow' or 'deny'")
    if kind == "user.custom_tool_result" and not isinstance(event.get("is_error", False), (bool, type(None))):
        raise invalid(f"{where}.is_error: expected a boolean")
    return out


def check_batch(events: object, kinds: Mapping[str, str], answered: set[str]) -> list[dict[str, Any]]:
    """Validate every event of a batch before any is applied; returns them normalized (no ids yet)."""
    if not isinstance(events, list) or not events:
        raise invalid("events: expected a non-empty list")
    seen = set(answered)  # a copy: a batch that fails must leave nothing marked answered
    return [_check_one(event, f"events[{i}]", kinds, seen) for i, event in enumerate(events)]
