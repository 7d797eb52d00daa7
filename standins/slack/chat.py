"""chat.* and reactions.add: posting, updating and reacting, with Slack's validation and shapes."""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING, Any

from .api import Args, SlackError, method
from .store import Workspace, public
from .validate import check_attachments, check_blocks, check_blocks_text, check_metadata, truncate_text

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["bot_fields", "normalize_attachments", "normalize_blocks", "permalink"]

UPDATE_TEXT = 4000  # chat.update: "The `text` field cannot exceed 4,000 characters" (msg_too_long)
_THREAD_KEYS = ("reply_count", "reply_users", "reply_users_count", "latest_reply", "is_locked", "subscribed")


def normalize_blocks(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Blocks as Slack stores them: every block has a block_id, every interactive element an action_id."""
    if blocks is None:
        return None
    out = copy.deepcopy(blocks)
    for block in out:
        block.setdefault("block_id", secrets.token_urlsafe(4))
        for element in list(block.get("elements") or []) + ([block["accessory"]] if block.get("accessory") else []):
            if isinstance(element, dict) and element.get("type") not in (None, "mrkdwn", "plain_text", "image"):
                element.setdefault("action_id", secrets.token_urlsafe(4))
    return out


def normalize_attachments(attachments: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Attachments as Slack stores them, numbered from 1."""
    if attachments is None:
        return None
    return [{"id": i + 1, **copy.deepcopy(a)} for i, a in enumerate(attachments)]


def bot_fields(ws: Workspace) -> dict[str, Any]:
    """The authorship fields of a message the app's bot user posts."""
    return {"user": ws.bot_user_id, "bot_id": ws.bot_id, "app_id": ws.app_id,
            "bot_profile": {"id": ws.bot_id, "app_id": ws.app_id, "name": ws.user_name(ws.bot_user_id),
                            "icons": {}, "deleted": False, "updated": 1700000000, "team_id": ws.team_id}}


def permalink(ws: Workspace, channel_id: str, msg: dict[str, Any]) -> str:
    """A message's permalink, as Slack formats it."""
    link = f"https://{ws.team_domain}.slack.com/archives/{channel_id}/p{msg['ts'].replace('.', '')}"
    if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
        link += f"?thread_ts={msg['thread_ts']}&cid={channel_id}"
    return link


def _content(args: Args) -> dict[str, Any]:
    """Validated text, blocks, attachments and metadata of a chat.* call (None where absent)."""
    text = args.text("text")
    blocks = args.parsed("blocks", error="invalid_blocks_format")
    attachments = args.parsed("attachments", error="invalid_attachments")
    metadata = args.parsed("metadata", error="invalid_metadata_format")
    markdown = args.text("markdown_text")
    if markdown is not None:
        if text is not None or blocks is not None:
            raise SlackError("markdown_text_conflict")
        text, blocks = markdown, [{"type": "markdown", "text": markdown}]
    check_blocks(blocks)
    check_blocks_text(blocks)
    check_attachments(attachments)
    check_metadata(metadata)
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    return {"text": truncate_text(text), "blocks": normalize_blocks(blocks),
            "attachments": normalize_attachments(attachments), "metadata": metadata}


def _shown(msg: dict[str, Any]) -> dict[str, Any]:
    out = public(msg, metadata=True)
    for key in _THREAD_KEYS:
        out.pop(key, None)
    return out


@method("chat.postMessage")
async def chat_post_message(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Post as the bot user, in a channel or a thread: one it is in (or any public one with chat:write.public),
    and not archived."""
    ws = slack.workspace
    channel = ws.bot_channel(args.text("channel"))
    if channel.archived:
        raise SlackError("is_archived")
    if not ws.bot_is_member(channel) and not (slack.chat_write_public and not channel.private):
        raise SlackError("not_in_channel")
    content = {k: v for k, v in _content(args).items() if v is not None}
    content.setdefault("text", "")
    msg = ws.add(channel, {**bot_fields(ws), **content}, thread_ts=args.text("thread_ts"),
                 broadcast=args.flag("reply_broadcast"))
    slack.posted(channel.id, msg)
    return {"ok": True, "channel": channel.id, "ts": msg["ts"], "message": _shown(msg)}


@method("chat.update")
async def chat_update(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Edit one of the bot's own messages; fields left out keep their value. Not in an archived channel, and the
    text (of a message given as text) at most 4,000 characters."""
    ws = slack.workspace
    channel = ws.bot_channel(args.text("channel"))
    if channel.archived:
        raise SlackError("is_inactive")
    msg = ws.message(channel, args.text("ts"))
    if msg.get("user") != ws.bot_user_id:
        raise SlackError("cant_update_message")
    content = _content(args)
    if len(args.text("text") or "") > UPDATE_TEXT:
        raise SlackError("msg_too_long")
    ws.edit(msg, content, editor=ws.bot_user_id)
    slack.changed()
    return {"ok": True, "channel": channel.id, "ts": msg["ts"], "text": msg.get("text", ""), "message": _shown(msg)}


@method("chat.postEphemeral")
async def chat_post_ephemeral(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Show a message to one member only (kept in slack.ephemerals)."""
    ws = slack.workspace
    channel = ws.bot_channel(args.text("channel"))
    user = args.text("user")
    if not user or user not in ws.users:
        raise SlackError("user_not_in_channel")
    content = _content(args)
    message_ts = ws.next_ts()
    ws.ephemerals.append({"channel": channel.id, "user": user, "text": content["text"] or "",
                          "blocks": content["blocks"], "attachments": content["attachments"],
                          "thread_ts": args.text("thread_ts"), "message_ts": message_ts})
    slack.changed()
    return {"ok": True, "message_ts": message_ts}


@method("chat.getPermalink")
async def chat_get_permalink(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """A link to a stored message."""
    ws = slack.workspace
    channel = ws.bot_channel(args.text("channel"))
    msg = ws.message(channel, args.text("message_ts"))
    return {"ok": True, "channel": channel.id, "permalink": permalink(ws, channel.id, msg)}


@method("reactions.add")
async def reactions_add(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Add the bot's emoji reaction to a message."""
    ws = slack.workspace
    channel = ws.bot_channel(args.text("channel"))
    if not args.text("timestamp"):
        raise SlackError("no_item_specified")
    msg = ws.message(channel, args.text("timestamp"))
    name = (args.text("name") or "").strip(":")
    if not name:
        raise SlackError("invalid_name")
    reactions = msg.setdefault("reactions", [])
    reaction = next((r for r in reactions if r["name"] == name), None)
    if reaction is None:
        reaction = {"name": name, "users": [], "count": 0}
        reactions.append(reaction)
    if ws.bot_user_id in reaction["users"]:
        raise SlackError("already_reacted")
    reaction["users"].append(ws.bot_user_id)
    reaction["count"] += 1
    slack.changed()
    return {"ok": True}
