"""Channel messages: a new alert in an alert channel opens (or joins) an incident; a person's reply in an
incident thread goes to its session as a follow-up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.views import IncidentStatus
from bot.alerts import parse_alert_message
from bot.incidents.intake import AlertIntake
from bot.incidents.registry import IncidentRegistry
from bot.incidents.tasks import BackgroundTasks
from bot.run.incident import IncidentRun

__all__ = ["register"]

_IGNORED_SUBTYPES = {
    "message_changed", "message_deleted", "message_replied", "channel_join", "channel_leave", "channel_topic",
    "channel_purpose", "channel_name", "pinned_item", "unpinned_item", "thread_broadcast", "bot_add", "bot_remove",
}  # fmt: skip
_SEEN_LIMIT = 10_000


def register(
    app: AsyncApp, registry: IncidentRegistry, tasks: BackgroundTasks, intake: AlertIntake, *,
    alert_channels: Iterable[str],
) -> None:  # fmt: skip
    """Listen for alert messages and thread replies."""
    watched = set(alert_channels)
    seen: dict[tuple[str, str], None] = {}  # Socket Mode delivers at least once: handle each message once

    def first_time(channel: str, ts: str) -> bool:
        if (channel, ts) in seen:
            return False
        seen[(channel, ts)] = None
        if len(seen) > _SEEN_LIMIT:
            seen.pop(next(iter(seen)))
        return True

    async def on_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        channel, ts = str(event.get("channel", "")), str(event.get("ts", ""))
        thread_ts = event.get("thread_ts")
        if event.get("subtype") in _IGNORED_SUBTYPES or not ts:
            return
        if thread_ts and thread_ts != ts:
            run = registry.find_by_thread(channel, str(thread_ts))
            if run is None or event.get("bot_id") or event.get("subtype") or not event.get("user"):
                return  # not an incident thread, or not a person
            if first_time(channel, ts) and str(event.get("text") or "").strip():
                tasks.spawn(_follow_up(client, run, user_id=str(event["user"]), text=str(event["text"])), name=f"reply:{ts}")
            return
        if channel in watched and first_time(channel, ts):
            alert = parse_alert_message(event)  # a resolved notification is noted on its incident, if any
            tasks.spawn(intake.open_from_alert(alert, channel=channel, ts=ts, person=_person(event)), name=f"alert:{ts}")

    app.event("message")(on_message)


def _person(event: dict[str, Any]) -> str | None:
    return None if event.get("bot_id") or event.get("subtype") == "bot_message" else event.get("user")


async def _follow_up(client: AsyncWebClient, run: IncidentRun, *, user_id: str, text: str) -> None:
    """A person's thread reply goes to the session; a stopped incident says so instead."""
    if run.state.stopped_by is not None or run.state.status is IncidentStatus.TERMINATED:
        await client.chat_postEphemeral(
            channel=run.thread.channel, user=user_id, thread_ts=run.thread.ts,
            text="This incident's agent has been stopped or has ended; open a new incident with /incident.",
        )  # fmt: skip
        return
    await run.follow_up(user_id=user_id, text=text)
