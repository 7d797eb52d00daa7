"""Approve/Reject and Allow/Deny buttons: ack at once, then decide in a task the manager holds."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, InvalidButtonValue, decode_button_value
from bot.decisions import Click, Decisions
from bot.incidents import IncidentManager

__all__ = ["register"]

log = logging.getLogger(__name__)


async def _tell(client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    if not channel or not user:
        return
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=container.get("thread_ts"))
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", user, exc.response.get("error"))


def _click(body: dict[str, Any]) -> Click:
    container = body.get("container") or {}
    action = (body.get("actions") or [{}])[0]
    return Click(
        user_id=str((body.get("user") or {}).get("id", "")),
        value=decode_button_value(str(action.get("value", ""))),
        channel=str(container.get("channel_id") or (body.get("channel") or {}).get("id") or ""),
        message_ts=str(container.get("message_ts") or ""),
        thread_ts=container.get("thread_ts"),
    )


def register(app: AsyncApp, manager: IncidentManager, decisions: Decisions) -> None:
    """Listen for the decision buttons."""

    def handler(action_id: ActionId):
        async def on_click(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()
            manager.spawn(_decide(action_id, body, client), name=f"click:{action_id}")

        return on_click

    async def _decide(action_id: ActionId, body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            click = _click(body)
        except InvalidButtonValue:
            log.warning("refused a click with a value that is not ours: %r", body.get("actions"))
            await _tell(client, body, "This button is not one of incident-bot's. Nothing was sent.")
            return
        try:
            match action_id:
                case ActionId.APPROVE | ActionId.REJECT:
                    refusal = await decisions.approval(click, approved=action_id is ActionId.APPROVE)
                case _:
                    refusal = await decisions.confirmation(click, allow=action_id is ActionId.ALLOW)
        except Exception as exc:
            log.exception("could not deliver %s from %s", action_id, click.user_id)
            refusal = f"Your decision could not be delivered to the agent ({type(exc).__name__}); try again."
        if refusal:
            log.info("refused %s from %s: %s", action_id, click.user_id, refusal)
            await _tell(client, body, refusal)

    for action_id in ActionId:
        app.action(action_id.value)(handler(action_id))
