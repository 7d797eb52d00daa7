"""What the page shows, as JSON-ready dicts: the workspace, one channel, one thread, one member's own surfaces.

The dicts share structure with the stored messages (no copies, for speed); callers serialise them at once
and never mutate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..server import SlackStandin
    from .ui import WebUI

__all__ = ["Watch", "snapshot", "workspace_info"]


@dataclass(frozen=True)
class Watch:
    """What one page looks at: who it acts as, which channel, and which thread (if one is open)."""

    user: str
    channel: str
    thread: str | None = None


def _shown(msg: dict[str, Any]) -> dict[str, Any]:
    """A message as the page needs it: the bot's routing metadata left out."""
    return {k: v for k, v in msg.items() if k != "metadata"}


def workspace_info(slack: SlackStandin, ui: WebUI) -> dict[str, Any]:
    """Members, groups, channels, the bot and the demo actions: everything the page needs to draw its frame."""
    ws = slack.workspace
    users = [
        {"id": uid, "name": str(info.get("name", uid)), "real_name": str(info.get("real_name", "")),
         "title": str(info.get("title", "")), "is_bot": bool(info.get("is_bot"))}
        for uid, info in ws.users.items()
    ]
    return {
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "bot": {"user_id": ws.bot_user_id, "bot_id": ws.bot_id, "name": ws.user_name(ws.bot_user_id)},
        "users": users,
        "usergroups": [{"id": gid, "members": list(members)} for gid, members in ws.usergroups.items()],
        "channels": [{"id": c.id, "name": c.name, "count": len(c.messages)} for c in ws.channels.values()],
        "actions": [{"key": a.key, "label": a.label, "group": a.group} for a in ui.actions.values()],
    }


def _ephemerals(slack: SlackStandin, ui: WebUI, user: str, channel: str) -> list[dict[str, Any]]:
    """What only this member sees in this channel: chat.postEphemeral messages and Slack's own replies."""
    shown = [e for e in slack.workspace.ephemerals if e["user"] == user and e["channel"] == channel]
    shown += [n for n in ui.notes if n["user"] == user and n["channel"] == channel]
    return sorted(shown, key=lambda e: float(e["message_ts"]))


def snapshot(slack: SlackStandin, ui: WebUI, watch: Watch) -> dict[str, Any]:
    """Everything one page shows, for one member: raises SlackError for an unknown member or channel."""
    ws = slack.workspace
    ws.user(watch.user)
    channel = ws.channel(watch.channel)
    thread = None
    if watch.thread:
        messages = ws.thread(channel, watch.thread)
        thread = {"ts": watch.thread, "messages": [_shown(m) for m in messages]}
    modals = slack.views.modals(watch.user)
    return {
        "workspace": workspace_info(slack, ui),
        "user": watch.user,
        "channel": {"id": channel.id, "name": channel.name,
                    "messages": [_shown(m) for m in ws.top_level(channel)]},
        "thread": thread,
        "ephemerals": _ephemerals(slack, ui, watch.user, channel.id),
        "modal": modals[-1] if modals else None,
        "home": slack.views.home(watch.user),
    }
