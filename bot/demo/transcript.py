"""Plain-text rendering of Slack messages for the terminal demo."""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any

__all__ = ["message_lines"]

_MENTION = re.compile(r"<([@#!])([^<>|]{1,500})(?:\|([^<>]{1,500}))?>")
_LINK = re.compile(r"<((?:https?|file)://[^<>|]{1,2000})(?:\|([^<>]{1,500}))?>")


_MAX_TEXT = 20_000  # a terminal shows no more of one text than this (the bot's own texts are shorter)


def _plain(text: str) -> str:
    text = text[:_MAX_TEXT]
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _MENTION.sub(lambda m: m.group(3) or (m.group(1) if m.group(1) != "!" else "@") + m.group(2), text)
    return html.unescape(text)


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return _plain(str(obj.get("text", "")))
    return ""


def _block_lines(blocks: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text_of(block.get('text'))} ==")
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text_of(block["text"]).splitlines())
            for f in block.get("fields") or []:
                lines.append("  " + _text_of(f).replace("\n", " "))
        elif kind == "context":
            lines.append("  " + " · ".join(_text_of(e) for e in block.get("elements", []) if e.get("text")))
        elif kind == "divider":
            lines.append("-" * 20)
        elif kind == "actions":
            buttons = [f"[ {_text_of(e.get('text'))} ]" for e in block.get("elements", [])]
            lines.append("  " + "  ".join(buttons))
    return lines


def message_lines(message: dict[str, Any], *, width: int = 100) -> list[str]:
    """A Slack message (blocks preferred, else text, then attachments) as terminal lines."""
    blocks = message.get("blocks") or []
    lines = _block_lines(blocks)
    if not blocks:
        lines.extend(_plain(str(message.get("text", ""))).splitlines())
    for att in message.get("attachments") or []:
        for key in ("pretext", "title", "text"):
            if att.get(key):
                lines.extend(f"| {line}" for line in _plain(str(att[key])).splitlines())
        lines.extend(f"| {f.get('title', '')}: {_plain(str(f.get('value', '')))}" for f in att.get("fields") or [])
        lines.extend(f"| {line}" for line in _block_lines(att.get("blocks") or []))
    for f in message.get("files") or []:
        lines.append(f"  (attached file: {f.get('name') or f.get('title')})")
    out: list[str] = []
    for line in lines:
        # textwrap slices a long word over and over (quadratic): a terminal line never needs more than this
        out.extend(textwrap.wrap(line[: width * 20], width, replace_whitespace=False, drop_whitespace=False) or [""])
    return out
