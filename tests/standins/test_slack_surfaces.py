"""Modals, the Home tab and response_url on the Slack stand-in, driven through a real AsyncApp."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from standins.slack import SlackStandin
from standins.slack.testing import bolt_app, socket_mode


MODAL = {"type": "modal", "callback_id": "close_incident", "title": {"type": "plain_text", "text": "Close incident"},
         "submit": {"type": "plain_text", "text": "Close"},
         "blocks": [{"type": "input", "block_id": "why", "label": {"type": "plain_text", "text": "Why?"},
                     "element": {"type": "plain_text_input", "action_id": "text"}}]}


async def test_modal_opened_from_a_command_then_submitted(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    submitted: list[dict[str, Any]] = []
    trigger: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @app.command("/incident")
    async def on_command(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        trigger.set_result(command["trigger_id"])

    @app.view("close_incident")
    async def on_submit(ack: Any, view: dict[str, Any], body: dict[str, Any]) -> None:
        reason = view["state"]["values"]["why"]["text"]["value"]
        submitted.append({"user": body["user"]["id"], "reason": reason})
        if not reason.strip():
            await ack(response_action="errors", errors={"why": "Say why"})
        else:
            await ack()

    async with socket_mode(app):
        await slack.slash_command("U0ALICE", "/incident", "close", channel_id="C0ONCALL")
        used = await asyncio.wait_for(trigger, 5)
        [modal] = slack.views.modals("U0ALICE")
        refused = await slack.submit_view("U0ALICE", modal["id"], {"why": {"text": " "}})
        assert refused == {"response_action": "errors", "errors": {"why": "Say why"}}
        assert slack.views.modals("U0ALICE")  # still open
        assert await slack.submit_view("U0ALICE", modal["id"], {"why": {"text": "fixed by rollback"}}) == {}
        with pytest.raises(SlackApiError) as caught:
            await app.client.views_open(trigger_id=used, view=MODAL)

    assert caught.value.response["error"] == "trigger_exchanged"
    assert slack.views.modals("U0ALICE") == []
    assert submitted[-1] == {"user": "U0ALICE", "reason": "fixed by rollback"}
    assert modal["title"]["text"] == "Close incident" and modal["id"].startswith("V")


async def test_home_tab_published_when_opened(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: Any) -> None:
        await client.views_publish(user_id=event["user"], view={
            "type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "No incidents"}}]})

    async with socket_mode(app):
        await slack.app_home_opened("U0BOB")
        await slack.wait_for(lambda s: s.views.home("U0BOB") is not None)
    home = slack.views.home("U0BOB")
    assert home is not None and home["blocks"][0]["text"]["text"] == "No incidents"
    with pytest.raises(SlackApiError) as caught:
        await app.client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": [
            {"type": "divider"} for _ in range(101)]})
    assert caught.value.response["error"] == "invalid_arguments"


async def test_respond_replaces_the_clicked_message(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)

    @app.action("ack_alert")
    async def on_click(ack: Any, respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text="Acknowledged by <@U0ALICE>")

    button = {"type": "button", "action_id": "ack_alert", "text": {"type": "plain_text", "text": "Ack"}}
    posted = await app.client.chat_postMessage(channel="C0ALERTS", text="Alert", blocks=[
        {"type": "actions", "elements": [button]}])
    async with socket_mode(app):
        await slack.click("U0ALICE", "C0ALERTS", posted["ts"], "ack_alert")
        await slack.wait_for(lambda s: s.messages("C0ALERTS")[0]["text"].startswith("Acknowledged"))
    assert slack.responses[-1]["body"]["replace_original"] is True
    assert slack.messages("C0ALERTS")[0]["edited"]["user"] == "U0BOT"
