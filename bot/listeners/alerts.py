"""A new top-level message in an alert channel, from a person or an integration, opens an incident."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

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
        alert = parse_alert_message(event)
        manager.spawn(
            manager.open(
                title=alert.title,
                text=alert.text,
                opened_by=event.get("user") if not event.get("bot_id") else None,
                source="alert channel" if alert.source == "text" else f"alert channel ({alert.source})",
                alert=alert.payload,
            ),
            name=f"alert:{channel}:{ts}",
        )

    app.event("message")(on_message)
