"""What people and Slack itself do to the app: commands, clicks, submissions, messages, events, outages."""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import files, payloads
from .chat import normalize_attachments, normalize_blocks
from .responses import issue_response_url
from .socket_mode import ACK_TIMEOUT
from .store import Channel
from .validate import check_metadata
from .webapi import Failure

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["Controls"]

log = logging.getLogger(__name__)


def _rich_text(text: str) -> list[dict[str, Any]]:
    """The blocks Slack's client attaches to a typed message."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]


class Controls:
    """The control surface that drives the app, mixed into SlackStandin."""

    async def slash_command(self: SlackStandin, user_id: str, command: str, text: str = "", *,
                            channel_id: str | None = None, timeout: float = ACK_TIMEOUT) -> dict[str, Any] | None:
        """A member runs a slash command; the ack's payload ({} if none), or None without an ack in time."""
        ws = self.workspace
        ws.user(user_id)
        channel = ws.channel(channel_id or next(iter(ws.channels), None))
        form = payloads.slash_command(
            ws, user_id=user_id, command=command, text=text, channel_id=channel.id,
            trigger_id=self.views.issue_trigger(user_id),
            response_url=issue_response_url(self, user_id=user_id, channel_id=channel.id))
        return await self.hub.deliver("slash_commands", form, accepts_response_payload=True, ack_timeout=timeout)

    async def click(self: SlackStandin, user_id: str, channel: str, message_ts: str, action_id: str, *,
                    value: str | None = None, block_id: str | None = None) -> dict[str, Any] | None:
        """A member clicks a button of a stored message; the ack's payload, or None without an ack in time."""
        ws = self.workspace
        ws.user(user_id)
        chan = ws.channel(channel)
        msg = chan.messages.get(message_ts)
        if msg is None:
            raise LookupError(f"no message {message_ts} in {chan.id}")
        found = payloads.find_action(msg, action_id)
        if found is None:
            shown = [e.get("action_id") for b in msg.get("blocks") or [] for e in b.get("elements") or []
                     if isinstance(e, dict)]
            raise LookupError(f"message {message_ts} has no element {action_id!r} to click (it has {shown})")
        element, found_block = found
        payload = payloads.block_actions(
            ws, user_id=user_id, channel_id=chan.id, message=msg, element=element,
            block_id=block_id if block_id is not None else found_block,
            value=value if value is not None else element.get("value"),
            trigger_id=self.views.issue_trigger(user_id),
            response_url=issue_response_url(self, user_id=user_id, channel_id=chan.id, message_ts=message_ts))
        return await self.hub.deliver("interactive", payload, accepts_response_payload=False)

    async def submit_view(self: SlackStandin, user_id: str, view_id: str,
                          values: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        """A member submits an open modal with state values {block_id: {action_id: value or state dict}}."""
        view = self.views.by_id.get(view_id)
        if view is None or view_id in self.views.closed or view["type"] != "modal":
            raise LookupError(f"no open modal {view_id!r}")
        payload = payloads.view_submission(self.workspace, user_id=user_id, view=view, values=values,
                                           trigger_id=self.views.issue_trigger(user_id))
        ack = await self.hub.deliver("interactive", payload, accepts_response_payload=True)
        action = (ack or {}).get("response_action")
        if ack is not None and action == "update" and isinstance(ack.get("view"), dict):
            self.views.by_id[view_id] = {**view, **copy.deepcopy(ack["view"]),
                                         "blocks": normalize_blocks(ack["view"].get("blocks") or [])}
        elif ack is not None and action == "clear":
            self.views.closed.update(v["id"] for v in self.views.modals(user_id))
        elif ack is not None and action != "errors":
            self.views.closed.add(view_id)
        self.changed()
        return ack

    async def close_view(self: SlackStandin, user_id: str, view_id: str) -> dict[str, Any] | None:
        """A member cancels an open modal; the app hears view_closed only if the view asked (notify_on_close)."""
        view = self.views.by_id.get(view_id)
        if view is None or view_id in self.views.closed or view["type"] != "modal" \
                or view_id not in self.views.by_user.get(user_id, []):
            raise LookupError(f"no open modal {view_id!r} for {user_id}")
        stack = [v["id"] for v in self.views.modals(user_id)] if view.get("clear_on_close") else [view_id]
        self.views.closed.update(stack)
        self.changed()
        if not view.get("notify_on_close"):
            return None
        payload = payloads.view_closed(self.workspace, user_id=user_id, view=view, cleared=len(stack) > 1)
        return await self.hub.deliver("interactive", payload, accepts_response_payload=False)

    async def post_message(self: SlackStandin, user_id: str, channel: str, text: str, *,
                           thread_ts: str | None = None, bot_id: str | None = None, subtype: str | None = None,
                           username: str | None = None,
                           attachments: list[dict[str, Any]] | None = None,
                           blocks: list[dict[str, Any]] | None = None,
                           app_id: str | None = None, metadata: dict[str, Any] | None = None) -> str:
        """A member posts; with bot_id, an integration named `username` (a webhook) or, with app_id too, another
        app's bot user `user_id` (chat.postMessage, which may carry metadata). The app gets the message event."""
        ws = self.workspace
        chan = ws.channel(channel)
        if bot_id == ws.bot_id or app_id == ws.app_id or user_id == ws.bot_user_id:
            raise ValueError("only the app's own bot token posts as its bot (use the Web API)")
        if metadata is not None and app_id is None:
            raise ValueError("only an app's chat.postMessage carries message metadata")
        check_metadata(metadata)
        if bot_id is not None and app_id is not None:
            fields: dict[str, Any] = {"user": user_id, "bot_id": bot_id, "app_id": app_id, "text": text,
                                      "bot_profile": {"id": bot_id, "app_id": app_id, "name": username or bot_id,
                                                      "icons": {}, "deleted": False, "updated": 1700000000,
                                                      "team_id": ws.team_id}}
            if metadata is not None:
                fields["metadata"] = copy.deepcopy(metadata)
        elif bot_id is not None:
            fields = {"subtype": "bot_message", "bot_id": bot_id, "text": text,
                      "username": username or (ws.user_name(user_id) if user_id else "integration")}
        else:
            ws.user(user_id)
            fields = {"user": user_id, "text": text, "client_msg_id": str(uuid.uuid4())}
            if blocks is None and text:
                fields["blocks"] = _rich_text(text)
        if subtype is not None:
            fields["subtype"] = subtype
        if blocks is not None:
            fields["blocks"] = normalize_blocks(blocks)
        if attachments is not None:
            fields["attachments"] = normalize_attachments(attachments)
        msg = ws.add(chan, fields, thread_ts=thread_ts)
        self.changed()
        if ws.bot_is_member(chan):  # message.channels / message.groups reach an app only from channels it is in
            event = payloads.message_event(ws, chan.id, msg)
            await self.hub.deliver("events_api", payloads.event_callback(ws, event), accepts_response_payload=False,
                                   retry=(0, ""))
        return str(msg["ts"])

    async def upload_file(self: SlackStandin, user_id: str, channel: str, filename: str, content: bytes | str, *,
                          thread_ts: str | None = None, title: str | None = None) -> str:
        """A member uploads a file and shares it in a channel or thread; the app gets the file_share event."""
        data = content.encode() if isinstance(content, str) else content
        msg = files.member_upload(self, user_id, channel, filename, data, thread_ts=thread_ts, title=title)
        self.changed()
        chan = self.workspace.channel(channel)
        if self.workspace.bot_is_member(chan):
            event = payloads.message_event(self.workspace, chan.id, msg)
            await self.hub.deliver("events_api", payloads.event_callback(self.workspace, event),
                                   accepts_response_payload=False, retry=(0, ""))
        return str(msg["ts"])

    async def deliver_event(self: SlackStandin, event: dict[str, Any], *, retry_attempt: int = 0,
                            retry_reason: str = "") -> dict[str, Any] | None:
        """Deliver an event (wrapped in a new event_callback) or a whole event_callback body, e.g. again."""
        body = copy.deepcopy(event) if event.get("type") == "event_callback" else \
            payloads.event_callback(self.workspace, copy.deepcopy(event))
        return await self.hub.deliver("events_api", body, accepts_response_payload=False,
                                      retry=(retry_attempt, retry_reason))

    async def app_home_opened(self: SlackStandin, user_id: str) -> dict[str, Any] | None:
        """A member opens the app's Home tab."""
        ws = self.workspace
        ws.user(user_id)
        event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": f"D{user_id[1:]}",
                                 "tab": "home", "event_ts": f"{time.time():.6f}"}
        home = self.views.home(user_id)
        if home is not None:
            event["view"] = copy.deepcopy(home)
        return await self.deliver_event(event)

    def add_channel(self: SlackStandin, channel_id: str, name: str, *, private: bool = False,
                    bot_member: bool = False) -> None:
        """A member creates a channel (everyone is in it; the bot only if invited at once)."""
        ws = self.workspace
        channel = ws.channels[channel_id] = Channel(channel_id, name, private=private)
        channel.members = {uid for uid in ws.users if uid != ws.bot_user_id or bot_member}
        self.changed()

    def set_member(self: SlackStandin, channel_id: str, user_id: str, *, member: bool) -> None:
        """A member invites someone (the bot too) to a channel, or removes them from it."""
        channel = self.workspace.channel(channel_id)
        (channel.members.add if member else channel.members.discard)(user_id)
        self.changed()

    def archive_channel(self: SlackStandin, channel_id: str, *, archived: bool = True) -> None:
        """A member archives a channel (or unarchives it): it keeps its messages and takes no new ones."""
        self.workspace.channel(channel_id).archived = archived
        self.changed()

    def make_private(self: SlackStandin, channel_id: str) -> None:
        """An admin converts a public channel to a private one (its members stay)."""
        self.workspace.channel(channel_id).private = True
        self.changed()

    def delete_message(self: SlackStandin, channel_id: str, ts: str) -> None:
        """A member (an admin, for someone else's) deletes a message: updating it is message_not_found from now."""
        if self.workspace.channel(channel_id).messages.pop(ts, None) is None:
            raise LookupError(f"no message {ts} in {channel_id}")
        self.changed()

    def fail_next(self: SlackStandin, method: str, *, status: int = 429, retry_after: int | None = 1,
                  count: int = 1, error: str | None = None,
                  when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """The next `count` calls of a method (those whose arguments `when` accepts) fail: HTTP `status` with
        Retry-After, or 200 {ok: false, error}."""
        self.web.failures.append(Failure(method, status, retry_after, count, error, when))

    async def disconnect_clients(self: SlackStandin, reason: str = "refresh_requested") -> int:
        """Tell every connected client to reconnect (it fetches a new URL); returns how many were told."""
        return await self.hub.disconnect_all(reason)

    async def _echo(self: SlackStandin, body: dict[str, Any]) -> None:
        try:
            await self.hub.deliver("events_api", body, accepts_response_payload=False, retry=(0, ""))
        except TimeoutError:
            log.info("no app connected: dropped the echo of %s", body["event"].get("ts"))
