"""The /incident slash command."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.incidents.opener import IncidentOpener
from bot.incidents.tasks import BackgroundTasks
from bot.opening_limits import OpeningLimits, refusal_text

__all__ = ["register"]

log = logging.getLogger(__name__)

USAGE = "Usage: `/incident <what is wrong>`, e.g. `/incident checkout p99 is 10x`."


def register(
    app: AsyncApp, opener: IncidentOpener, tasks: BackgroundTasks, limits: OpeningLimits, *, oncall_channel: str
) -> None:
    """Listen for /incident."""

    async def incident(ack: AsyncAck, command: dict) -> None:
        text = " ".join(str(command.get("text") or "").split())
        if not text:
            await ack(response_type="ephemeral", text=USAGE)
            return
        user, where = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
        refusal = await limits.admit(person=user or "unknown", channel=where)
        if refusal is not None:
            await ack(response_type="ephemeral", text=refusal_text(refusal))
            log.warning("refused /incident from %s in %s: %s is full", user, where, refusal.limit.key)
            return
        await ack(response_type="ephemeral", text=f"Opening an incident in <#{oncall_channel}>: {text[:200]}")
        tasks.spawn(
            opener.open(title=text, text=text, opened_by=command.get("user_id"), source="slash command"),
            name=f"open:{command.get('trigger_id', '')}",
        )

    app.command("/incident")(incident)
