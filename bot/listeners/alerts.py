"""A new top-level message in an alert channel, from a person or an integration, opens an incident."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.alerts import parse_alert_message
from bot.incidents import IncidentManager

__all__ = ["register"]

log = logging.getLogger(__name__)

_IGNORED_SUBTYPES = {
    "message_changed", "message_deleted", "message_replied", "channel_join", "channel_leave", "channel_topic",
    "channel_purpose", "channel_name", "pinned_item", "unpinned_item", "thread_broadcast", "bot_add", "bot_remove",
}  # fmt: skip


def register(app: AsyncApp, manager: IncidentManager) -> None:
    """Listen for messages in ALERT_CHANNELS."""
    alert_channels = set(manager.settings.alert_channels)
    seen: set[tuple[str, str]] = set()

    async def on_message(event: dict[str, Any]) -> None:
        channel = str(event.get("channel", ""))
        ts = str(event.get("ts", ""))
        if channel not in alert_channels or event.get("subtype") in _IGNORED_SUBTYPES:
            return
        if event.get("thread_ts") and event.get("thread_ts") != ts:
            return  # a reply, not a new alert
        if (channel, ts) in seen:  # Socket Mode redelivers at least once
            return
        seen.add((channel, ts))
        manager.spawn(_open_and_reply(event, channel, ts), name=f"alert:{channel}:{ts}")

    async def _open_and_reply(event: dict[str, Any], channel: str, ts: str) -> None:
        alert = parse_alert_message(event)
        try:
            run = await manager.open(
                title=alert.title,
                text=alert.text,
                opened_by=event.get("user") if not event.get("bot_id") else None,
                source="alert channel" if alert.source == "text" else f"alert channel ({alert.source})",
                alert=alert.payload,
            )
        except Exception as exc:
            await _reply(channel, ts, f"Could not open an incident for this alert ({type(exc).__name__}); see the bot's logs.")
            raise
        link = await _permalink(run.thread.channel, run.thread.ts)
        note = f" The alert was {alert.original_size:,} characters; the agent got the first {len(alert.text):,}." if alert.truncated else ""
        await _reply(channel, ts, f"Opened an incident: {link}{note}")

    async def _permalink(channel: str, ts: str) -> str:
        try:
            resp = await manager.slack.chat_getPermalink(channel=channel, message_ts=ts)
            return str(resp["permalink"])
        except SlackApiError:
            return f"<#{channel}>"

    async def _reply(channel: str, ts: str, text: str) -> None:
        try:
            await manager.slack.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False)
        except SlackApiError as exc:
            log.warning("could not reply under the alert in %s: %s", channel, exc.response.get("error"))

    app.event("message")(on_message)
