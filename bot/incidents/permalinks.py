"""A link to an incident's thread, for the note under an alert and App Home."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["permalink"]


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str:
    """The message's permalink; the channel's mention when Slack cannot give one."""
    try:
        resp = await client.chat_getPermalink(channel=channel, message_ts=ts)
        return str(resp["permalink"])
    except SlackApiError:
        return f"<#{channel}>"
