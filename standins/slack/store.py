"""The workspace's state: members, channels and their messages (threads, edits, reactions), ephemerals and files."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .api import SlackError

__all__ = ["Channel", "StoredFile", "Workspace", "public"]


@dataclass
class Channel:
    """A channel; `messages` maps ts to the stored message, in ts order; `members` are user ids (the bot's too)."""

    id: str
    name: str
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    private: bool = False
    archived: bool = False


@dataclass
class StoredFile:
    """A file announced by files.getUploadURLExternal; `content` arrives on the upload URL."""

    id: str
    filename: str
    length: int
    user: str
    created: int
    content: bytes | None = None
    title: str | None = None
    alt_txt: str | None = None
    snippet_type: str | None = None
    shares: list[tuple[str, str]] = field(default_factory=list)  # (channel, message ts)


def public(msg: dict[str, Any], *, metadata: bool) -> dict[str, Any]:
    """A copy of a stored message as an API response shows it (metadata only when asked for)."""
    out = copy.deepcopy(msg)
    if not metadata:
        out.pop("metadata", None)
    return out


class Workspace:
    """Members, channels and messages; every ts comes from one counter, so they are unique and increasing."""

    def __init__(self, *, users: dict[str, dict[str, Any]], usergroups: dict[str, list[str]],
                 channels: dict[str, str], team_id: str, bot_user_id: str, bot_id: str, app_id: str,
                 bot_channels: Iterable[str] | None = None) -> None:
        self.team_id = team_id
        self.team_domain = "standin"
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.users = {uid: dict(info) for uid, info in users.items()}
        self.users.setdefault(bot_user_id, {"name": "incident-bot", "real_name": "incident-bot", "is_bot": True})
        self.usergroups = {gid: list(members) for gid, members in usergroups.items()}
        self.channels = {cid: Channel(cid, name) for cid, name in channels.items()}
        joined = set(channels if bot_channels is None else bot_channels)
        for channel in self.channels.values():  # people are in every channel; the bot where it was invited
            channel.members = {uid for uid in self.users if uid != bot_user_id}
            if channel.id in joined:
                channel.members.add(bot_user_id)
        self.ephemerals: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self._last_micros = 0
        self._ids = itertools.count(1)

    # -- identifiers --------------------------------------------------------------------------------
    def next_ts(self) -> str:
        """A new message ts from the wall clock, like Slack's ("1763870000.123456"), greater than every earlier one."""
        micros = max(int(time.time() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        """A Slack-looking id: prefix, then upper-case letters and digits."""
        return f"{prefix}0{next(self._ids):08X}"

    # -- lookups ------------------------------------------------------------------------------------
    def channel(self, ref: str | None) -> Channel:
        """A channel by id, or by name with or without '#'; channel_not_found otherwise."""
        if ref:
            if ref in self.channels:
                return self.channels[ref]
            name = ref.removeprefix("#")
            for channel in self.channels.values():
                if channel.name == name:
                    return channel
        raise SlackError("channel_not_found")

    def bot_channel(self, ref: str | None) -> Channel:
        """A channel as the bot's token sees it: a private one it is not in does not exist (channel_not_found)."""
        channel = self.channel(ref)
        if channel.private and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def bot_is_member(self, channel: Channel) -> bool:
        """Whether the app's bot user is in a channel (it hears its messages and may post there)."""
        return self.bot_user_id in channel.members

    def user(self, user_id: str | None) -> dict[str, Any]:
        """A member's stored fields; user_not_found otherwise."""
        if not user_id or user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def user_name(self, user_id: str) -> str:
        """A member's handle (the id itself for strangers)."""
        return str(self.users.get(user_id, {}).get("name", user_id))

    def message(self, channel: Channel, ts: str | None, *, error: str = "message_not_found") -> dict[str, Any]:
        """The stored message with this ts in the channel."""
        msg = channel.messages.get(ts or "")
        if msg is None:
            raise SlackError(error)
        return msg

    # -- messages -----------------------------------------------------------------------------------
    def add(self, channel: Channel, msg: dict[str, Any], *, thread_ts: str | None = None,
            broadcast: bool = False) -> dict[str, Any]:
        """Store a new message (a reply when thread_ts is given); returns the stored dict."""
        msg = {"type": "message", **msg, "ts": self.next_ts()}
        msg.setdefault("team", self.team_id)
        if thread_ts:
            root = self.message(channel, thread_ts, error="thread_not_found")
            if root.get("thread_ts") and root["thread_ts"] != root["ts"]:
                root = channel.messages[root["thread_ts"]]  # a reply's ts means its thread
            msg["thread_ts"] = root["ts"]
            msg["parent_user_id"] = root.get("user") or root.get("bot_id", "")
            if broadcast:
                msg["subtype"] = "thread_broadcast"
                msg["root"] = public(root, metadata=False)
            self._count_reply(root, msg)
        channel.messages[msg["ts"]] = msg
        return msg

    def _count_reply(self, root: dict[str, Any], reply: dict[str, Any]) -> None:
        author = reply.get("user") or reply.get("bot_id") or ""
        users = root.setdefault("reply_users", [])
        if author and author not in users:
            users.append(author)
        root["thread_ts"] = root["ts"]
        root["reply_count"] = root.get("reply_count", 0) + 1
        root["reply_users_count"] = len(users)
        root["latest_reply"] = reply["ts"]
        root.setdefault("is_locked", False)
        root.setdefault("subscribed", False)

    def edit(self, msg: dict[str, Any], changes: dict[str, Any], *, editor: str) -> dict[str, Any]:
        """Apply chat.update changes (absent fields keep their value; empty lists clear) and mark it edited."""
        for key, value in changes.items():
            if value is None:
                continue
            if value == [] and key in ("blocks", "attachments"):
                msg.pop(key, None)
            else:
                msg[key] = value
        msg["edited"] = {"user": editor, "ts": self.next_ts()}
        return msg

    def top_level(self, channel: Channel) -> list[dict[str, Any]]:
        """The channel's own messages in ts order: thread roots, unthreaded messages and broadcasts."""
        return [m for m in channel.messages.values()
                if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"]

    def thread(self, channel: Channel, ts: str) -> list[dict[str, Any]]:
        """A thread root and its replies in ts order (just the message, for one that is no root)."""
        root = channel.messages.get(ts)
        if root is None:
            return []
        if root.get("thread_ts") not in (None, ts):
            return [root]
        return [root] + [m for m in channel.messages.values() if m.get("thread_ts") == ts and m["ts"] != ts]

    def file(self, file_id: str, *, user: str, filename: str, length: int) -> StoredFile:
        """Announce a file upload (files.getUploadURLExternal)."""
        stored = StoredFile(file_id, filename, length, user, int(time.time()))
        self.files[file_id] = stored
        return stored
