"""Who the bot is in Slack, and whether a message or file in a thread is its own (a restart trusts nothing else)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["SlackIdentity", "learn_identity"]


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    """The bot token's ids from auth.test; Slack stamps them on what the token posts, and nobody else can."""

    user_id: str  # the bot user (U…): a message's and a file's `user`
    bot_id: str  # B…: unique to this app in this workspace; another app's messages carry their own
    team_id: str = ""

    def wrote(self, message: Mapping[str, Any]) -> bool:
        """Whether the bot posted this message."""
        return bool(self.bot_id) and message.get("bot_id") == self.bot_id

    def uploaded(self, file: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
        """Whether the bot uploaded this file and shared it in this message (not a member re-sharing it)."""
        return bool(self.user_id) and file.get("user") == self.user_id and message.get("user") == self.user_id


async def learn_identity(client: AsyncWebClient) -> SlackIdentity:
    """Ask Slack whose token this is (a bad token fails here); a token without a bot user is refused."""
    resp = await client.auth_test()
    user_id, bot_id = str(resp.get("user_id") or ""), str(resp.get("bot_id") or "")
    if not user_id or not bot_id:
        raise RuntimeError("SLACK_BOT_TOKEN has no bot user (auth.test named no bot_id): use the app's xoxb- bot token")
    return SlackIdentity(user_id=user_id, bot_id=bot_id, team_id=str(resp.get("team_id") or ""))
