"""Slack's answers that retrying cannot change, what each means for an incident thread, and one thread's dealings
with them.

Read from Slack's method reference (chat.postMessage, chat.update, files.completeUploadExternal,
conversations.join): these come as HTTP 200 with `{"ok": false, "error": ...}`. Anything else (rate limits after
the client's own waits, outages, timeouts) is worth trying again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from blocks.message import Message
from blocks.plain import plain_text
from bot.audit import AuditLog, AuditRecord
from bot.words import AuditAction

__all__ = ["CHANNEL_RETRY", "Refusal", "ThreadRefusals", "refusal", "slack_error"]

CHANNEL_RETRY = 300.0  # seconds a channel that refused the thread is left alone before the thread tries it again
UPDATE_TEXT, POST_TEXT = 4000, 39000  # chat.update: "The `text` field cannot exceed 4,000 characters"
SlackCall = Callable[..., Awaitable[AsyncSlackResponse]]


class Refusal(StrEnum):
    """What a refusal is about, so what the publisher does about it."""

    LAYOUT = "layout"  # the message's blocks or size: show its words as plain text instead
    ITEM = "item"  # this one message or file: skip it and go on with the next
    CHANNEL = "channel"  # the channel, or the app's access to it: nothing can be shown there for now
    NOT_IN_CHANNEL = "not_in_channel"  # a public channel the bot is not in: join it once, then try again


_LAYOUT = ("invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "block_mismatch",
           "invalid_attachments", "too_many_attachments", "no_text")  # fmt: skip
_ITEM = (
    "message_not_found", "cant_update_message", "edit_window_closed", "cant_broadcast_message",
    "no_dual_broadcast_content_update", "thread_not_found", "cannot_reply_to_message",
    "restricted_action_thread_locked", "restricted_action_non_threadable_channel", "streaming_state_conflict",
    "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
    # files.getUploadURLExternal / files.completeUploadExternal: the workspace will not take this file
    "file_uploads_disabled", "file_uploads_except_images_disabled", "file_type_not_allowed", "blocked_file_type",
    "file_upload_size_restricted", "snippet_too_large", "storage_limit_reached", "unknown_snippet_type",
    "slack_connect_file_upload_sharing_blocked", "slack_connect_blocked_file_type", "file_not_found",
)  # fmt: skip
_CHANNEL = (
    "channel_not_found", "is_archived", "is_inactive", "invalid_channel", "method_not_supported_for_channel_type",
    "channel_is_limited_access", "restricted_action", "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel", "posting_to_channel_denied", "ekm_access_denied", "no_permission",
    "access_denied", "missing_scope", "not_allowed_token_type", "invalid_auth", "not_authed", "account_inactive",
    "token_revoked", "token_expired", "team_access_not_granted", "too_many_members",
)  # fmt: skip
_KINDS = {
    **dict.fromkeys(_LAYOUT, Refusal.LAYOUT),
    **dict.fromkeys(_ITEM, Refusal.ITEM),
    **dict.fromkeys(_CHANNEL, Refusal.CHANNEL),
    "not_in_channel": Refusal.NOT_IN_CHANNEL,
}


def slack_error(exc: BaseException) -> str:
    """The `error` of a Slack Web API answer ("" for anything else)."""
    if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict):
        return str(exc.response.data.get("error") or "")
    return ""


def refusal(exc: BaseException) -> Refusal | None:
    """What a failed Slack call means for the thread; None when trying again may work."""
    if not isinstance(exc, SlackApiError) or exc.response.status_code != 200:
        return None
    return _KINDS.get(slack_error(exc))


class ThreadRefusals:
    """One incident thread's dealings with what Slack refuses for good: it joins a public channel the bot is not
    in (once: after that, people decide), sends a message's words when its layout is refused, remembers what it
    skipped and whether the channel is closed to the thread for now, and says so in the log and the audit trail."""

    def __init__(self, client: AsyncWebClient, *, channel: str, audit: AuditLog | None,
                 log: logging.Logger | logging.LoggerAdapter, incident: Callable[[], tuple[str, str]]) -> None:
        self._client = client
        self.channel = channel
        self._audit = audit
        self._log = log
        self._incident = incident  # the incident's (title, session id) as known now
        self.skipped: dict[str, str] = {}  # key -> Slack's error: not tried again in this process
        self._closed_until = 0.0
        self._joined = False

    def closed(self) -> bool:
        """Whether the channel refused the thread a short while ago (nothing is tried there until then)."""
        return time.monotonic() < self._closed_until

    async def call(self, method: SlackCall, /, **kwargs: Any) -> AsyncSlackResponse:
        """A Web API call in the thread's channel; a public channel the bot is not in is joined once."""
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            if refusal(exc) is not Refusal.NOT_IN_CHANNEL or self._joined:
                raise
        self._joined = True
        try:
            await self._client.conversations_join(channel=self.channel)
        except SlackApiError as exc:
            if refusal(exc) is None:
                self._joined = False
            else:
                self._log.error("the bot is not in %s and cannot join it (%s): a private channel must invite the app",
                                self.channel, slack_error(exc))  # fmt: skip
            raise
        self._log.warning("the bot was not in %s; it joined it", self.channel)
        return await method(**kwargs)

    async def send(self, method: SlackCall, key: str, message: Message, *, update: bool,
                   **kwargs: Any) -> AsyncSlackResponse:
        """chat.postMessage or chat.update with a message's text and blocks; its words alone if Slack refuses them."""
        try:
            return await self.call(method, text=message.text, blocks=message.blocks or None, **kwargs)
        except SlackApiError as exc:
            if refusal(exc) is not Refusal.LAYOUT:
                raise
            error = slack_error(exc)
        self._log.error("Slack refused the layout of %s (%s); sending its words as plain text", key, error)
        note = f"(Slack refused this message's layout: {error}. Shown as plain text, without buttons.)"
        text = plain_text(message, note=note, limit=UPDATE_TEXT if update else POST_TEXT)
        # chat.update keeps the old blocks, and an old card's live buttons, unless told to drop them.
        resp = await self.call(method, text=text, blocks=[] if update else None, **kwargs)
        await self.record(key, error, "shown as plain text")
        return resp

    async def skip(self, key: str, exc: SlackApiError) -> None:
        """Leave out what Slack refused for good, say so, and go on: the one item, or the channel for a while."""
        error = self.say(key, exc)
        if refusal(exc) in (Refusal.CHANNEL, Refusal.NOT_IN_CHANNEL):
            self._closed_until = time.monotonic() + CHANNEL_RETRY
            await self.record(key, error, f"nothing shown in {self.channel} for {CHANNEL_RETRY:.0f}s")
        else:
            self.skipped[key] = error
            await self.record(key, error, "skipped")

    def say(self, key: str, exc: SlackApiError) -> str:
        """Log a refusal in words an operator can act on; Slack's error."""
        error = slack_error(exc)
        if refusal(exc) in (Refusal.CHANNEL, Refusal.NOT_IN_CHANNEL):
            hint = " (a wrong channel id, or a private channel the app was not invited to)" \
                if error == "channel_not_found" else ""  # fmt: skip
            self._log.error("Slack refuses the incident thread in %s: %s%s; %s waits", self.channel, error, hint, key)
        else:
            self._log.error("Slack refused %s in %s (%s); skipped, the thread goes on", key, self.channel, error)
        return error

    async def record(self, key: str, error: str, outcome: str) -> None:
        """One audit line for a refusal (with no audit trail configured, the log line is all)."""
        if self._audit is None:
            return
        title, session_id = self._incident()
        await self._audit.append(AuditRecord(when=AuditRecord.now(), who=None, action=AuditAction.SLACK_REFUSED,
                                             incident=title, session_id=session_id,
                                             outcome=f"{error}: {key}: {outcome}"))  # fmt: skip
