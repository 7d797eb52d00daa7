"""The Slack stand-in's Socket Mode, driven through a real AsyncApp + AsyncSocketModeHandler."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from standins.slack import SlackStandin
from standins.slack.testing import bolt_app, socket_mode



def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


async def test_slash_command_reaches_listener_and_ack_payload_comes_back(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    seen = _future()

    @app.command("/incident")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        await ack(response_type="ephemeral", text=f"Opening: {command['text']}")
        seen.set_result(command)

    async with socket_mode(app):
        ack = await slack.slash_command("U0ALICE", "/incident", "checkout is down", channel_id="C0ONCALL")
        command = await asyncio.wait_for(seen, 5)

    assert ack == {"response_type": "ephemeral", "text": "Opening: checkout is down"}
    assert command["user_id"] == "U0ALICE" and command["user_name"] == "alice"
    assert command["channel_id"] == "C0ONCALL" and command["channel_name"] == "oncall"
    assert all(isinstance(v, str) for v in command.values())
    [record] = [a for a in slack.envelope_acks if a.type == "slash_commands"]
    assert record.acked_at is not None and record.acked_at >= record.sent_at
    assert [c.method for c in slack.calls][:2] == ["apps.connections.open", "auth.test"]
    assert slack.calls_to("apps.connections.open")[0].http_method == "POST"


async def test_unacked_command_returns_none(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)  # no /incident listener: Bolt sends no ack frame at all
    async with socket_mode(app):
        assert await slack.slash_command("U0ALICE", "/incident", "x", channel_id="C0ONCALL", timeout=0.5) is None
    assert slack.envelope_acks[-1].acked_at is None


async def test_click_reaches_action_listener_with_user_and_container(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    clicked = _future()

    @app.action("approve")
    async def on_click(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        clicked.set_result(body)

    button = {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"},
              "value": "v1:pr-7", "style": "primary"}
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Merge PR 7?"}},
              {"type": "actions", "block_id": "decide", "elements": [button]}]
    root = await app.client.chat_postMessage(channel="C0ONCALL", text="incident")
    card = await app.client.chat_postMessage(channel="C0ONCALL", text="Approve?", blocks=blocks,
                                             thread_ts=root["ts"])
    async with socket_mode(app):
        ack = await slack.click("U0BOB", "C0ONCALL", card["ts"], "approve")
        body = await asyncio.wait_for(clicked, 5)

    assert ack == {}
    assert body["type"] == "block_actions"
    assert body["user"] == {"id": "U0BOB", "username": "bob", "name": "bob", "team_id": "T0TEAM"}
    assert body["container"] == {"type": "message", "message_ts": card["ts"], "channel_id": "C0ONCALL",
                                 "is_ephemeral": False, "thread_ts": root["ts"]}
    assert body["channel"]["id"] == "C0ONCALL" and body["message"]["ts"] == card["ts"]
    [action] = body["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("approve", "decide", "v1:pr-7")
    assert action["text"]["text"] == "Approve" and body["trigger_id"] and body["response_url"]
    with pytest.raises(LookupError):
        await slack.click("U0BOB", "C0ONCALL", card["ts"], "no-such-button")


async def test_person_message_reaches_listener_but_bot_echo_does_not(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    seen: list[dict[str, Any]] = []
    person = _future()

    @app.message()
    async def on_message(message: dict[str, Any]) -> None:
        seen.append(message)
        if message.get("user") == "U0ALICE":
            person.set_result(message)

    async with socket_mode(app):
        posted = await app.client.chat_postMessage(channel="C0ALERTS", text="bot says hi")
        await slack.wait_for(lambda s: any(a.acked_at for a in s.envelope_acks if a.type == "events_api"))
        ts = await slack.post_message("U0ALICE", "C0ALERTS", "checkout 5xx spiking")
        message = await asyncio.wait_for(person, 5)

    echoes = [e["payload"]["event"] for e in slack.envelopes if e["type"] == "events_api"]
    assert echoes[0]["ts"] == posted["ts"] and echoes[0]["bot_id"] == "B0BOT"  # Slack echoes the bot's post
    assert [m["ts"] for m in seen] == [ts]  # ...and Bolt ignores it
    assert message["text"] == "checkout 5xx spiking" and message["channel_type"] == "channel"
    callback = slack.envelopes[-1]["payload"]
    assert callback["type"] == "event_callback" and callback["authorizations"][0]["user_id"] == "U0BOT"
    assert slack.envelopes[-1]["retry_attempt"] == 0 and slack.envelopes[-1]["retry_reason"] == ""


async def test_integration_alert_and_redelivery(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    seen: list[tuple[dict[str, Any], str | None]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any], request: Any) -> None:
        seen.append((event, (request.headers.get("x-slack-retry-num") or [None])[0]))

    async with socket_mode(app):
        await slack.post_message("", "C0ALERTS", "", bot_id="B0PAGER",
                                 attachments=[{"title": "checkout OOMKilled", "color": "danger"}])
        await slack.wait_for(lambda s: len(seen) == 1)
        first = slack.envelopes[-1]["payload"]
        await slack.deliver_event(first, retry_attempt=1, retry_reason="timeout")
        await slack.wait_for(lambda s: len(seen) == 2)

    (alert, retry0), (again, retry1) = seen
    assert alert["subtype"] == "bot_message" and alert["bot_id"] == "B0PAGER" and "user" not in alert
    assert alert["attachments"][0]["title"] == "checkout OOMKilled"
    assert again == alert and (retry0, retry1) == ("0", "1")
    assert slack.envelopes[-1]["payload"]["event_id"] == first["event_id"]


async def test_disconnect_then_reconnect_and_commands_still_arrive(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    texts: list[str] = []

    @app.command("/incident")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        await ack()
        texts.append(command["text"])

    async with socket_mode(app):
        assert await slack.disconnect_clients() == 1
        # sent while the client is moving: the delivery waits for the new connection
        assert await slack.slash_command("U0ALICE", "/incident", "during", channel_id="C0ONCALL") == {}
        await slack.wait_for(lambda s: s.hub.connects == 2 and len(s.hub.connections) == 1)
        assert await slack.slash_command("U0ALICE", "/incident", "after", channel_id="C0ONCALL") == {}
        await slack.wait_for(lambda s: len(texts) == 2)

    assert sorted(texts) == ["after", "during"]
    assert len(slack.calls_to("apps.connections.open")) == 2


async def test_each_envelope_goes_to_one_of_several_connections(slack: SlackStandin) -> None:
    got: dict[str, list[str]] = {"first": [], "second": []}

    def app_named(name: str) -> Any:
        app = bolt_app(slack.api_url)

        @app.command("/incident")
        async def on_command(ack: Any, command: dict[str, Any]) -> None:
            await ack()
            got[name].append(command["text"])

        return app

    apps = [app_named(name) for name in got]

    async with socket_mode(apps[0]), socket_mode(apps[1]):
        await slack.wait_for(lambda s: len(s.hub.connections) == 2)
        for i in range(4):
            assert await slack.slash_command("U0ALICE", "/incident", str(i), channel_id="C0ONCALL") == {}
        await slack.wait_for(lambda s: sum(len(v) for v in got.values()) == 4)

    assert sorted(got["first"] + got["second"]) == ["0", "1", "2", "3"]  # each delivered exactly once
    assert got["first"] and got["second"]
