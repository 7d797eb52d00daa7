"""A message without what Slack refused: its readable text alone, or its blocks without their buttons."""

from __future__ import annotations

from typing import Any

from blocks import _kit as kit
from blocks.limits import MAX_BLOCKS
from blocks.message import Message
from blocks.text import truncate

__all__ = ["plain_text", "without_buttons"]

_INTERACTIVE = {"actions"}  # a block of buttons: never drawn as words a reader might take for a choice


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            return [node["text"]]
        if node.get("type") == "button":
            return []
        return [t for key, value in node.items() if key not in ("confirm", "accessory") for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def plain_text(message: Message, *, note: str, limit: int) -> str:
    """The words of a message's blocks (its fallback text when it has none), then `note`, within `limit`
    characters; nothing of its buttons. For when Slack refuses the blocks themselves."""
    lines = [text.strip() for block in message.blocks if block.get("type") not in _INTERACTIVE
             for text in _texts(block) if text.strip()]  # fmt: skip
    body = "\n".join(lines) or message.text or " "
    room = limit - len(note) - 2
    return f"{truncate(body, room)}\n\n{note}" if note else truncate(body, limit)


def without_buttons(message: Message, *, note: str) -> Message:
    """The same message with no buttons left anywhere, and `note` (escaped mrkdwn) saying why."""
    blocks = [{k: v for k, v in block.items() if k != "accessory"} for block in message.blocks
              if block.get("type") not in _INTERACTIVE]  # fmt: skip
    return Message(text=message.text, blocks=[*blocks[: MAX_BLOCKS - 1], kit.context(note)])
