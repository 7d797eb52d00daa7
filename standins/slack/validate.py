"""Slack's limits on messages and views, refused with Slack's errors and its json-pointer messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .api import SlackError

__all__ = ["check_attachments", "check_blocks", "check_blocks_text", "check_metadata", "check_view", "truncate_text"]

MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modals and the Home tab
MESSAGE_TEXT = 40_000
ATTACHMENTS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
MARKDOWN_TEXT = 12_000
BLOCKS_TEXT = 12_000  # all the text in one message's blocks; past it chat.* answer msg_blocks_too_long
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
IDENTIFIER = 255  # block_id, action_id, callback_id
URL = 3000
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
VIEW_TITLE = 24
PRIVATE_METADATA = 3000

BLOCK_TYPES = {"actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text",
               "section", "table", "video", "context_actions"}
TEXT_TYPES = {"plain_text", "mrkdwn"}


def truncate_text(text: str | None) -> str | None:
    """Slack keeps the first 40,000 characters of a message's text."""
    return text[:MESSAGE_TEXT] if text is not None and len(text) > MESSAGE_TEXT else text


def _too_long(value: Any, limit: int, where: str) -> Iterator[str]:
    if isinstance(value, str) and len(value) > limit:
        yield f"must be less than {limit + 1} characters [json-pointer:{where}]"


def _text(obj: Any, where: str, *, limit: int, plain_only: bool = False) -> Iterator[str]:
    if not isinstance(obj, dict):
        yield f"expected object [json-pointer:{where}]"
        return
    kind = obj.get("type")
    if kind not in (("plain_text",) if plain_only else TEXT_TYPES):
        yield f"must be one of the provided options [json-pointer:{where}/type]"
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        yield f"must be more than 0 characters [json-pointer:{where}/text]"
    else:
        yield from _too_long(text, limit, f"{where}/text")


def _element(el: Any, where: str) -> Iterator[str]:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        yield f"missing required field: type [json-pointer:{where}]"
        return
    yield from _too_long(el.get("action_id"), IDENTIFIER, f"{where}/action_id")
    if el["type"] == "button":
        yield from _text(el.get("text"), f"{where}/text", limit=BUTTON_TEXT, plain_only=True)
        yield from _too_long(el.get("value"), BUTTON_VALUE, f"{where}/value")
        yield from _too_long(el.get("url"), URL, f"{where}/url")
        if el.get("style") not in (None, "primary", "danger"):
            yield f"must be one of the provided options [json-pointer:{where}/style]"


def _elements(block: dict[str, Any], where: str, limit: int) -> Iterator[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        yield f"must provide at least 1 element [json-pointer:{where}/elements]"
        return
    if len(elements) > limit:
        yield f"must be less than {limit + 1} items [json-pointer:{where}/elements]"
    action_ids: set[str] = set()
    for j, el in enumerate(elements):
        if block["type"] == "actions":
            yield from _element(el, f"{where}/elements/{j}")
        action_id = el.get("action_id") if isinstance(el, dict) else None
        if isinstance(action_id, str):
            if action_id in action_ids:
                yield f"duplicate action_id [json-pointer:{where}/elements/{j}/action_id]"
            action_ids.add(action_id)


def _block(block: Any, where: str) -> Iterator[str]:
    if not isinstance(block, dict):
        yield f"expected object [json-pointer:{where}]"
        return
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        yield f"unsupported type: {kind} [json-pointer:{where}/type]"
        return
    yield from _too_long(block.get("block_id"), IDENTIFIER, f"{where}/block_id")
    if kind == "section":
        if block.get("text") is None and not block.get("fields"):
            yield f"must provide either text or fields [json-pointer:{where}]"
        if block.get("text") is not None:
            yield from _text(block["text"], f"{where}/text", limit=SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            yield f"must be less than {SECTION_FIELDS + 1} items [json-pointer:{where}/fields]"
        for j, f in enumerate(fields):
            yield from _text(f, f"{where}/fields/{j}", limit=FIELD_TEXT)
        if block.get("accessory") is not None:
            yield from _element(block["accessory"], f"{where}/accessory")
    elif kind == "header":
        yield from _text(block.get("text"), f"{where}/text", limit=HEADER_TEXT, plain_only=True)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            yield f"must be more than 0 characters [json-pointer:{where}/text]"
        yield from _too_long(text, MARKDOWN_TEXT, f"{where}/text")
    elif kind == "actions":
        yield from _elements(block, where, ACTIONS_ELEMENTS)
    elif kind == "context":
        yield from _elements(block, where, CONTEXT_ELEMENTS)


def _block_errors(blocks: Any, where: str, limit: int) -> list[str]:
    if not isinstance(blocks, list):
        return [f"expected array [json-pointer:{where}]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"must be less than {limit + 1} items [json-pointer:{where}]")
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        errors += list(_block(block, f"{where}/{i}"))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                errors.append(f"duplicate block_id [json-pointer:{where}/{i}/block_id]")
            seen.add(block_id)
    return errors


def check_blocks(blocks: Any, *, where: str = "/blocks", limit: int = MESSAGE_BLOCKS) -> None:
    """Refuse blocks that break Slack's limits with invalid_blocks (invalid_blocks_format if not a list)."""
    if blocks is None:
        return
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    errors = _block_errors(blocks, where, limit)
    if errors:
        raise SlackError("invalid_blocks", messages=errors)


def _text_length(node: Any) -> int:
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(_text_length(v) for k, v in node.items() if k != "text" or not isinstance(v, str))
    if isinstance(node, list):
        return sum(_text_length(v) for v in node)
    return 0


def check_blocks_text(blocks: Any) -> None:
    """Refuse a message whose blocks carry more than 12,000 characters of text in all (msg_blocks_too_long).

    Slack documents that total for markdown blocks; for the others the error comes undocumented near it (Slack's
    answer in slackapi/bolt-js#2509: "12,000 text characters with a buffer for block containers")."""
    if isinstance(blocks, list) and _text_length(blocks) > BLOCKS_TEXT:
        raise SlackError("msg_blocks_too_long")


def check_attachments(attachments: Any) -> None:
    """Refuse malformed or too many attachments, and attachment blocks that break the limits."""
    if attachments is None:
        return
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise SlackError("invalid_attachments")
    if len(attachments) > ATTACHMENTS:
        raise SlackError("too_many_attachments")
    for i, attachment in enumerate(attachments):
        if attachment.get("blocks") is not None:
            check_blocks(attachment["blocks"], where=f"/attachments/{i}/blocks")


def check_metadata(metadata: Any) -> None:
    """Message metadata is {"event_type": str, "event_payload": object}."""
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str) \
            or not metadata["event_type"] or not isinstance(metadata.get("event_payload", {}), dict):
        raise SlackError("invalid_metadata_format")


def check_view(view: Any, *, surface: str | None = None) -> None:
    """A modal or Home view: title, buttons and blocks within Slack's limits (invalid_arguments)."""
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", messages=["must provide an object [json-pointer:/view]"])
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home") or (surface is not None and kind != surface):
        errors.append("must be a valid enum value [json-pointer:/view/type]")
    if kind == "modal":
        errors += _text(view.get("title"), "/view/title", limit=VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                errors += _text(view[key], f"/view/{key}", limit=VIEW_TITLE, plain_only=True)
    errors += _too_long(view.get("callback_id"), IDENTIFIER, "/view/callback_id")
    errors += _too_long(view.get("private_metadata"), PRIVATE_METADATA, "/view/private_metadata")
    errors += _block_errors(view.get("blocks", []), "/view/blocks", SURFACE_BLOCKS)
    if errors:
        raise SlackError("invalid_arguments", messages=errors)
