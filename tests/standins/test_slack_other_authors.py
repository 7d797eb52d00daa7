"""Messages and files in the Slack stand-in carry their real author: another app, a member, or the bot itself."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from standins.slack import SlackStandin
from standins.slack.testing import bolt_app, socket_mode

OTHER_APP = {"bot_id": "B0OTHER", "app_id": "A0OTHER"}
META = {"event_type": "incident_bot", "event_payload": {"key": "root"}}


async def test_another_apps_message_and_a_members_file_name_their_authors(slack: SlackStandin) -> None:
    app = bolt_app(slack.api_url)
    events: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        events.append(event)

    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    async with socket_mode(app):
        root = await client.chat_postMessage(channel="C0ONCALL", text="incident")
        other = await slack.post_message("U0OTHER", "C0ONCALL", "hi", thread_ts=root["ts"], metadata=META,
                                         username="Other", **OTHER_APP)
        upload = await slack.upload_file("U0ALICE", "C0ONCALL", "pr-1.diff", "+x\n", thread_ts=root["ts"])
        await slack.wait_for(lambda s: len(events) == 2)

    replies = (await client.conversations_replies(channel="C0ONCALL", ts=root["ts"], include_all_metadata=True))
    ours, theirs, members = replies["messages"]
    assert (ours["user"], ours["bot_id"], ours["app_id"]) == ("U0BOT", "B0BOT", "A0APP")
    assert theirs["ts"] == other
    assert (theirs["user"], theirs["bot_id"], theirs["app_id"]) == ("U0OTHER", "B0OTHER", "A0OTHER")
    assert theirs["metadata"] == META and "subtype" not in theirs
    assert members["ts"] == upload and members["user"] == "U0ALICE" and "bot_id" not in members
    [file] = members["files"]
    assert (file["name"], file["user"]) == ("pr-1.diff", "U0ALICE")
    assert [e.get("subtype") for e in events] == [None, "file_share"]
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel="C0ONCALL", ts=other, text="mine now")
    assert caught.value.response["error"] == "cant_update_message"


async def test_nobody_but_the_bot_token_posts_as_the_bot_or_attaches_metadata(slack: SlackStandin) -> None:
    for forged in ({"bot_id": "B0BOT"}, {"bot_id": "B0X", "app_id": "A0APP"}):
        with pytest.raises(ValueError):
            await slack.post_message("U0X", "C0ONCALL", "forged", **forged)
    with pytest.raises(ValueError):
        await slack.post_message("U0BOT", "C0ONCALL", "forged")
    with pytest.raises(ValueError):
        await slack.post_message("U0ALICE", "C0ONCALL", "members attach no metadata", metadata=META)
    assert slack.messages("C0ONCALL") == []
