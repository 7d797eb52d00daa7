"""The Slack stand-in's web page: its JSON endpoints and live socket over HTTP, driving a real AsyncApp."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from standins.slack import SlackStandin
from standins.slack.testing import bolt_app, socket_mode

BUTTON = {"type": "actions", "block_id": "b", "elements": [
    {"type": "button", "action_id": "ack_alert", "text": {"type": "plain_text", "text": "Ack"}, "value": "v1"}]}
MODAL = {"type": "modal", "callback_id": "why", "title": {"type": "plain_text", "text": "Why?"},
         "submit": {"type": "plain_text", "text": "Send"}, "notify_on_close": True,
         "blocks": [{"type": "input", "block_id": "why", "label": {"type": "plain_text", "text": "Why?"},
                     "element": {"type": "plain_text_input", "action_id": "text"}}]}


@pytest.fixture
async def http(slack: SlackStandin) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=slack.base_url) as session:
        yield session


async def _post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with http.post(f"/ui/api/{path}", json=body) as response:
        return response.status, await response.json()


async def _state(http: aiohttp.ClientSession, **query: str) -> dict[str, Any]:
    async with http.get("/ui/api/state", params=query) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_the_page_and_its_scripts_are_served(slack: SlackStandin, http: aiohttp.ClientSession) -> None:
    assert slack.ui_url == f"{slack.base_url}/ui/"
    async with http.get("/", allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"] == "/ui/"
    async with http.get("/ui/") as response:
        page = await response.text()
        assert response.status == 200 and '<script type="module" src="/ui/static/app.js">' in page
        assert "script-src 'self'" in page  # no inline script can run, whatever a message says
    for name in ("app.js", "mrkdwn.js", "blocks.js", "messages.js", "dialogs.js", "api.js", "emoji.js", "app.css"):
        async with http.get(f"/ui/static/{name}") as response:
            assert response.status == 200, name
            assert response.content_type in ("application/javascript", "text/javascript", "text/css"), name


async def test_workspace_lists_members_channels_and_demo_actions(slack: SlackStandin, http: aiohttp.ClientSession) -> None:
    ran = asyncio.Event()

    async def fire() -> None:
        ran.set()

    slack.ui.add_action("alert:test", "Fire a test alert", fire, group="Sample alerts")
    async with http.get("/ui/api/workspace") as response:
        info = await response.json()
    assert {u["id"] for u in info["users"]} == {"U0ALICE", "U0BOB", "U0BOT"}
    assert [c["name"] for c in info["channels"]] == ["oncall", "alerts"]
    assert info["actions"] == [{"key": "alert:test", "label": "Fire a test alert", "group": "Sample alerts"}]
    assert info["bot"] == {"user_id": "U0BOT", "bot_id": "B0BOT", "name": "incident-bot"}
    assert await _post(http, "actions/alert:test", {}) == (200, {"ok": True, "started": "alert:test"})
    await asyncio.wait_for(ran.wait(), 5)
    status, body = await _post(http, "actions/nope", {})
    assert status == 404 and body["ok"] is False


async def test_state_shows_a_channel_a_thread_and_only_ones_own_ephemerals(slack: SlackStandin,
                                                                          http: aiohttp.ClientSession) -> None:
    app = bolt_app(slack.api_url)
    root = await app.client.chat_postMessage(channel="C0ONCALL", text="root", blocks=[BUTTON],
                                             metadata={"event_type": "incident_bot", "event_payload": {"key": "k"}})
    await app.client.chat_postMessage(channel="C0ONCALL", text="reply", thread_ts=root["ts"])
    await app.client.chat_postEphemeral(channel="C0ONCALL", user="U0BOB", text="for bob", thread_ts=root["ts"])
    alice = await _state(http, user="U0ALICE", channel="C0ONCALL", thread=root["ts"])
    bob = await _state(http, user="U0BOB", channel="oncall")
    assert [m["text"] for m in alice["channel"]["messages"]] == ["root"]
    assert "metadata" not in alice["channel"]["messages"][0]  # the bot's routing data is not the page's business
    assert [m["text"] for m in alice["thread"]["messages"]] == ["root", "reply"]
    assert alice["ephemerals"] == [] and [e["text"] for e in bob["ephemerals"]] == ["for bob"]
    assert bob["thread"] is None and bob["modal"] is None and bob["home"] is None
    async with http.get("/ui/api/state", params={"user": "U0NOBODY", "channel": "C0ONCALL"}) as response:
        assert response.status == 400 and (await response.json())["error"] == "user_not_found"


async def test_command_message_and_click_reach_the_app_as_socket_mode_envelopes(
        slack: SlackStandin, http: aiohttp.ClientSession) -> None:
    app = bolt_app(slack.api_url)
    seen: list[tuple[str, Any]] = []

    @app.command("/incident")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        seen.append(("command", (command["user_id"], command["text"], command["channel_id"])))
        await ack(response_type="ephemeral", text="Opening an incident")

    @app.action("ack_alert")
    async def on_click(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        seen.append(("click", (body["user"]["id"], body["actions"][0]["value"], body["container"]["message_ts"])))

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(("message", (event.get("user"), event.get("text"), event.get("thread_ts"))))

    async with socket_mode(app):
        assert (await _post(http, "command", {"user": "U0ALICE", "channel": "C0ONCALL", "text": "/incident db down"}))[0] == 200
        posted = await app.client.chat_postMessage(channel="C0ONCALL", text="card", blocks=[BUTTON])
        status, body = await _post(http, "click", {"user": "U0BOB", "channel": "C0ONCALL", "ts": posted["ts"],
                                                   "action_id": "ack_alert"})
        assert (status, body) == (200, {"ok": True, "acked": True})
        await _post(http, "message", {"user": "U0BOB", "channel": "C0ONCALL", "text": "on it", "thread_ts": posted["ts"]})
        await slack.wait_for(lambda s: any(k == "message" and v[0] == "U0BOB" for k, v in seen))
        status, body = await _post(http, "click", {"user": "U0BOB", "channel": "C0ONCALL", "ts": posted["ts"],
                                                   "action_id": "not_there"})
        assert status == 404 and "not_there" in body["error"]
        status, body = await _post(http, "command", {"user": "U0BOT", "channel": "C0ONCALL", "text": "/incident x"})
        assert status == 400  # the bot does not type commands
    assert ("command", ("U0ALICE", "db down", "C0ONCALL")) in seen
    assert ("click", ("U0BOB", "v1", posted["ts"])) in seen
    assert ("message", ("U0BOB", "on it", posted["ts"])) in seen
    alice = await _state(http, user="U0ALICE", channel="C0ONCALL")
    bob = await _state(http, user="U0BOB", channel="C0ONCALL")
    assert [e["text"] for e in alice["ephemerals"]] == ["Opening an incident"]  # the command's reply, to her only
    assert bob["ephemerals"] == []


async def test_modal_submitted_or_closed_from_the_page(slack: SlackStandin, http: aiohttp.ClientSession) -> None:
    app = bolt_app(slack.api_url)
    events: list[tuple[str, str]] = []

    @app.command("/why")
    async def on_command(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=MODAL)

    @app.view("why")
    async def on_submit(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        events.append(("submitted", view["state"]["values"]["why"]["text"]["value"]))

    @app.view_closed("why")
    async def on_closed(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        events.append(("closed", body["user"]["id"]))

    async with socket_mode(app):
        for _ in range(2):
            await _post(http, "command", {"user": "U0ALICE", "channel": "C0ONCALL", "text": "/why"})
            await slack.wait_for(lambda s: bool(s.views.modals("U0ALICE")))
        first, second = slack.views.modals("U0ALICE")
        state = await _state(http, user="U0ALICE", channel="C0ONCALL")
        assert state["modal"]["id"] == second["id"]  # the newest modal is on top
        assert (await _state(http, user="U0BOB", channel="C0ONCALL"))["modal"] is None
        assert (await _post(http, "close", {"user": "U0BOB", "view_id": second["id"]}))[0] == 404  # not his
        assert await _post(http, "close", {"user": "U0ALICE", "view_id": second["id"]}) == (200, {"ok": True, "ack": {}})
        values = {"why": {"text": {"type": "plain_text_input", "value": "rollback"}}}
        assert (await _post(http, "submit", {"user": "U0ALICE", "view_id": first["id"], "values": values}))[0] == 200
        await slack.wait_for(lambda s: len(events) == 2)
    assert sorted(events) == [("closed", "U0ALICE"), ("submitted", "rollback")]
    assert (await _state(http, user="U0ALICE", channel="C0ONCALL"))["modal"] is None


async def test_the_live_socket_pushes_new_and_edited_messages(slack: SlackStandin, http: aiohttp.ClientSession) -> None:
    app = bolt_app(slack.api_url)
    async with http.ws_connect("/ui/ws") as ws:
        await ws.send_json({"type": "watch", "user": "U0ALICE", "channel": "C0ONCALL"})
        first = await asyncio.wait_for(ws.receive_json(), 5)
        assert first["type"] == "state" and first["channel"]["messages"] == []
        posted = await app.client.chat_postMessage(channel="C0ONCALL", text="Working…")
        await app.client.chat_update(channel="C0ONCALL", ts=posted["ts"], text="Done")

        async def until_done() -> dict[str, Any]:
            while True:
                frame = await ws.receive_json()
                if [m.get("text") for m in frame["channel"]["messages"]] == ["Done"]:
                    return frame

        done = await asyncio.wait_for(until_done(), 5)
        assert done["channel"]["messages"][0]["edited"]["user"] == "U0BOT"
        await ws.send_str("not json")
        assert (await asyncio.wait_for(ws.receive_json(), 5))["type"] == "error"


async def test_a_shared_file_is_served_as_plain_text(slack: SlackStandin, http: aiohttp.ClientSession) -> None:
    app = bolt_app(slack.api_url)
    await app.client.files_upload_v2(channel="C0ONCALL", content="<script>alert(1)</script>", filename="diff.txt")
    [stored] = slack.workspace.files.values()
    async with http.get(f"/ui/files/{stored.id}") as response:
        assert response.status == 200 and response.content_type == "text/plain"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.text() == "<script>alert(1)</script>"
    async with http.get("/ui/files/F0NOPE") as response:
        assert response.status == 404
    assert json.dumps(await _state(http, user="U0ALICE", channel="C0ONCALL"))  # a file message serialises
