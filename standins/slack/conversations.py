"""conversations.replies, conversations.history (cursor paging), conversations.info and conversations.join."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .api import Args, SlackError, method
from .store import Channel, public

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["channel_info"]


def _encode(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    if not raw.startswith("next_ts:"):
        raise SlackError("invalid_cursor")
    return raw.removeprefix("next_ts:")


def _window(args: Args, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages within oldest/latest (exclusive unless inclusive)."""
    oldest, latest, inclusive = args.text("oldest"), args.text("latest"), args.flag("inclusive")

    def inside(m: dict[str, Any]) -> bool:
        ts = float(m["ts"])
        if oldest and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
            return False
        return not (latest and (ts > float(latest) or (ts == float(latest) and not inclusive)))

    return [m for m in messages if inside(m)]


def _limit(args: Args, default: int) -> int:
    return max(1, min(args.number("limit", default), 1000))


def _page(found: list[dict[str, Any]], more: bool, *, metadata: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": True, "messages": [public(m, metadata=metadata) for m in found], "has_more": more}
    if more:
        body["response_metadata"] = {"next_cursor": _encode(found[-1]["ts"])}
    return body


@method("conversations.replies")
async def conversations_replies(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """A thread, oldest first; the root heads every page; metadata only with include_all_metadata."""
    ws = slack.workspace
    channel = _readable(slack, args)
    ts = args.text("ts")
    thread = ws.thread(channel, ts or "")
    if not thread:
        raise SlackError("thread_not_found")
    root, replies = thread[0], _window(args, thread[1:])
    after = _decode(args.text("cursor"))
    if after is not None:
        replies = [m for m in replies if float(m["ts"]) > float(after)]
    limit = _limit(args, 1000)
    page = replies[:limit]
    return _page([root, *page], len(replies) > limit, metadata=args.flag("include_all_metadata"))


@method("conversations.history")
async def conversations_history(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """A channel's own messages (no thread replies but broadcasts), newest first."""
    ws = slack.workspace
    channel = _readable(slack, args)
    found = list(reversed(_window(args, ws.top_level(channel))))
    before = _decode(args.text("cursor"))
    if before is not None:
        found = [m for m in found if float(m["ts"]) < float(before)]
    limit = _limit(args, 100)
    body = _page(found[:limit], len(found) > limit, metadata=args.flag("include_all_metadata"))
    body.update({"pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0})
    return body


def _readable(slack: SlackStandin, args: Args) -> Channel:
    """The channel whose messages the bot asks for: it must be in it (a bot token reads no other channel)."""
    channel = slack.workspace.bot_channel(args.text("channel"))
    if not slack.workspace.bot_is_member(channel):
        raise SlackError("not_in_channel")
    return channel


def channel_info(slack: SlackStandin, channel: Channel) -> dict[str, Any]:
    """A conversation object for a channel, as the bot sees it."""
    return {
        "id": channel.id, "name": channel.name, "name_normalized": channel.name,
        "is_channel": True, "is_group": False, "is_im": False, "is_mpim": False, "is_private": channel.private,
        "is_archived": channel.archived, "is_general": False, "is_shared": False, "is_ext_shared": False,
        "is_org_shared": False, "is_member": slack.workspace.bot_is_member(channel), "created": 1700000000,
        "creator": slack.workspace.bot_user_id,
        "context_team_id": slack.workspace.team_id, "unlinked": 0, "previous_names": [],
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


@method("conversations.info")
async def conversations_info(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """A channel's conversation object."""
    channel = slack.workspace.bot_channel(args.text("channel"))
    info = channel_info(slack, channel)
    if args.flag("include_num_members"):
        info["num_members"] = len(channel.members)
    return {"ok": True, "channel": info}


@method("conversations.join")
async def conversations_join(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """The bot joins a public channel (channels:join); a private one takes an invitation, an archived one nobody."""
    ws = slack.workspace
    channel = ws.bot_channel(args.text("channel", required=True))
    if channel.private:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.archived:
        raise SlackError("is_archived")
    body: dict[str, Any] = {"ok": True}
    if ws.bot_is_member(channel):
        body.update(warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]})
    channel.members.add(ws.bot_user_id)
    slack.changed()
    return {**body, "channel": channel_info(slack, channel)}
