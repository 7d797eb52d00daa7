"""Slack's message limits, and a checker that lists every limit a Message breaks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from blocks.message import Message

__all__ = [
    "ACTION_ID",
    "ACTIONS_ELEMENTS",
    "BLOCK_ID",
    "BLOCKS_TEXT",
    "BUTTON_TEXT",
    "BUTTON_VALUE",
    "CONTEXT_ELEMENTS",
    "FIELD_TEXT",
    "HEADER_TEXT",
    "MAX_BLOCKS",
    "MESSAGE_TEXT",
    "SECTION_FIELDS",
    "SECTION_TEXT",
    "blocks_text",
    "check_message",
]

SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
MAX_BLOCKS = 50
MESSAGE_TEXT = 40000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
# All the text in one message's blocks: Slack documents 12,000 for markdown blocks and answers msg_blocks_too_long
# near it for the others (slackapi/bolt-js#2509: "12,000 text characters with a buffer for block containers").
BLOCKS_TEXT = 12000


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _check_text(where: str, obj: Any, limit: int) -> Iterator[str]:
    text = _text(obj)
    if not text:
        yield f"{where}: text is empty"
    elif len(text) > limit:
        yield f"{where}: text has {len(text)} characters (limit {limit})"


def _check_element(where: str, el: dict[str, Any]) -> Iterator[str]:
    action_id = el.get("action_id", "")
    if len(action_id) > ACTION_ID:
        yield f"{where}: action_id has {len(action_id)} characters (limit {ACTION_ID})"
    if el.get("type") == "button":
        yield from _check_text(f"{where} button", el.get("text"), BUTTON_TEXT)
        if len(el.get("value", "")) > BUTTON_VALUE:
            yield f"{where}: button value has {len(el['value'])} characters (limit {BUTTON_VALUE})"


def _check_block(where: str, block: dict[str, Any]) -> Iterator[str]:
    block_id = block.get("block_id", "")
    if len(block_id) > BLOCK_ID:
        yield f"{where}: block_id has {len(block_id)} characters (limit {BLOCK_ID})"
    kind = block.get("type")
    if kind == "section":
        if "text" not in block and not block.get("fields"):
            yield f"{where}: section has neither text nor fields"
        if "text" in block:
            yield from _check_text(f"{where} section", block["text"], SECTION_TEXT)
        fields = block.get("fields", [])
        if len(fields) > SECTION_FIELDS:
            yield f"{where}: section has {len(fields)} fields (limit {SECTION_FIELDS})"
        for j, f in enumerate(fields):
            yield from _check_text(f"{where} field {j}", f, FIELD_TEXT)
    elif kind == "header":
        yield from _check_text(f"{where} header", block.get("text"), HEADER_TEXT)
    elif kind == "context":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= CONTEXT_ELEMENTS:
            yield f"{where}: context has {len(elements)} elements (1 to {CONTEXT_ELEMENTS})"
        for j, el in enumerate(elements):
            if el.get("type") in ("mrkdwn", "plain_text"):
                yield from _check_text(f"{where} context {j}", el, SECTION_TEXT)
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= ACTIONS_ELEMENTS:
            yield f"{where}: actions has {len(elements)} elements (1 to {ACTIONS_ELEMENTS})"
        for j, el in enumerate(elements):
            yield from _check_element(f"{where} element {j}", el)
    try:
        Block.parse(block).to_dict()  # slack_sdk's own validation, as a second opinion
    except (SlackObjectFormationError, KeyError, TypeError, AttributeError) as exc:
        yield f"{where}: slack_sdk refuses it: {exc}"


def blocks_text(node: Any) -> int:
    """How many characters of text a message's blocks carry, all told."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(blocks_text(v) for k, v in node.items() if k != "text" or not isinstance(v, str))
    if isinstance(node, list):
        return sum(blocks_text(v) for v in node)
    return 0


def check_message(msg: Message) -> list[str]:
    """List every Slack limit `msg` breaks (empty when it is fine to post)."""
    problems: list[str] = []
    if len(msg.text) > MESSAGE_TEXT:
        problems.append(f"text has {len(msg.text)} characters (limit {MESSAGE_TEXT})")
    if blocks_text(msg.blocks) > BLOCKS_TEXT:
        problems.append(f"blocks carry {blocks_text(msg.blocks)} characters of text (limit {BLOCKS_TEXT})")
    if len(msg.blocks) > MAX_BLOCKS:
        problems.append(f"{len(msg.blocks)} blocks (limit {MAX_BLOCKS})")
    seen_ids: set[str] = set()
    for i, block in enumerate(msg.blocks):
        if not isinstance(block, dict) or "type" not in block:
            problems.append(f"block {i}: not a Block Kit dict")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_ids:
                problems.append(f"block {i}: duplicate block_id {block_id!r}")
            seen_ids.add(block_id)
        problems.extend(_check_block(f"block {i} ({block['type']})", block))
    return problems
