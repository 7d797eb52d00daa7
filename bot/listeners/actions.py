"""Buttons and modals: Approve, Reject (with a reason), Allow, Deny (with a reason), Stop. Ack first, then translate:
a click becomes a Click for the incident's approval gate, and a refusal becomes a message only the clicker sees."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, CallbackId, InvalidButtonValue, decode_button_value
from blocks.modals import read_reason_modal, reason_modal
from bot.approvals.clicks import Click
from bot.approvals.router import ClickRouter
from bot.incidents.registry import IncidentRegistry
from bot.incidents.tasks import BackgroundTasks

__all__ = ["register"]

log = logging.getLogger(__name__)


async def _tell(client: AsyncWebClient, *, channel: str | None, user: str | None, text: str, thread_ts: str | None) -> None:
    if not channel or not user:
        return
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", user, exc.response.get("error"))


def _click(body: dict[str, Any], action_id: ActionId) -> Click:
    container = body.get("container") or {}
    action = (body.get("actions") or [{}])[0]
    return Click(
        user_id=str((body.get("user") or {}).get("id", "")),
        action=action_id,
        value=decode_button_value(str(action.get("value", ""))),
        channel=str(container.get("channel_id") or (body.get("channel") or {}).get("id") or ""),
        message_ts=str(container.get("message_ts") or ""),
        thread_ts=container.get("thread_ts"),
    )


async def _decide(clicks: ClickRouter, click: Click) -> str | None:
    """Run one decision; an unexpected failure becomes a refusal the clicker sees."""
    try:
        return await clicks.decide(click)
    except Exception as exc:
        log.exception("could not deliver %s from %s", click.action, click.user_id)
        return f"Your decision could not be delivered to the agent ({type(exc).__name__}); try again."


def register(app: AsyncApp, registry: IncidentRegistry, tasks: BackgroundTasks, clicks: ClickRouter) -> None:
    """Listen for the decision buttons and the reason modals."""

    def on_button(action: ActionId):
        async def handler(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()
            container = body.get("container") or {}
            where = {
                "channel": container.get("channel_id") or (body.get("channel") or {}).get("id"),
                "user": (body.get("user") or {}).get("id"),
                "thread_ts": container.get("thread_ts"),
            }
            try:
                click = _click(body, action)
            except InvalidButtonValue:
                log.warning("refused a click with a value that is not ours: %r", body.get("actions"))
                await _tell(client, text="This button is not one of incident-bot's. Nothing was sent.", **where)
                return
            if action in (ActionId.REJECT, ActionId.DENY) and await clicks.approvers.allows(click.user_id):
                if await _open_reason(client, body, click, action):
                    return  # the decision comes with the modal's submission
            tasks.spawn(_finish(client, click, where), name=f"click:{action}")

        return handler

    async def _open_reason(client: AsyncWebClient, body: dict[str, Any], click: Click, action: ActionId) -> bool:
        callback = CallbackId.REJECT_REASON if action is ActionId.REJECT else CallbackId.DENY_REASON
        run = registry.find(click.value.session_id)
        subject = f"Incident: {run.state.title}" if run else "This incident"
        if click.value.pr_number is not None:
            subject += f"\nPR #{click.value.pr_number}"
        view = reason_modal(
            callback, click.value, channel=click.channel, message_ts=click.message_ts, thread_ts=click.thread_ts,
            subject=subject,
        )  # fmt: skip
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return True
        except (SlackApiError, KeyError) as exc:
            # An expired trigger must not swallow the click: decide now, without a reason.
            log.warning("could not open the reason modal (%s); deciding without a reason", exc)
            return False

    async def _finish(client: AsyncWebClient, click: Click, where: dict) -> None:
        refusal = await _decide(clicks, click)
        if refusal:
            log.info("refused %s from %s: %s", click.action, click.user_id, refusal)
            await _tell(client, text=refusal, **where)

    def on_reason(action: ActionId):
        async def handler(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()
            user = str((body.get("user") or {}).get("id", ""))
            try:
                value, meta, reason = read_reason_modal(view)
            except (ValueError, ValidationError):
                log.warning("refused a reason modal whose metadata is not ours")
                return
            click = Click(user, action, value, str(meta.get("channel") or ""), str(meta.get("message_ts") or ""),
                          meta.get("thread_ts"), reason)  # fmt: skip
            where = {"channel": click.channel, "user": user, "thread_ts": click.thread_ts}
            tasks.spawn(_finish(client, click, where), name=f"reason:{action}")

        return handler

    for action in ActionId:
        app.action(action.value)(on_button(action))
    app.view(CallbackId.REJECT_REASON.value)(on_reason(ActionId.REJECT))
    app.view(CallbackId.DENY_REASON.value)(on_reason(ActionId.DENY))
