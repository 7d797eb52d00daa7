"""The Slack stand-in's channels as the bot's token meets them: membership, private and archived channels, joining,
each refused with the error Slack's method reference names (HTTP 200, `ok: false`)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from standins.slack import SlackStandin
from tests.support.standins import standard_workspace

PUBLIC, PRIVATE = "C0PUBLIC", "C0PRIVATE"


@pytest.fixture
def client(slack: SlackStandin) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


async def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    assert caught.value.response.status_code == 200 and caught.value.response["ok"] is False
    return str(caught.value.response["error"])


async def _upload(client: AsyncWebClient, channel: str) -> Any:
    return await client.files_upload_v2(channel=channel, filename="pr-1.diff", title="pr-1.diff", content="+a\n")


async def test_a_public_channel_without_the_bot_takes_nothing_until_it_joins(slack, client):
    slack.add_channel(PUBLIC, "war-room")
    assert await _error(client.chat_postMessage(channel=PUBLIC, text="hi")) == "not_in_channel"
    assert await _error(_upload(client, PUBLIC)) == "not_in_channel"
    assert await _error(client.conversations_history(channel=PUBLIC)) == "not_in_channel"
    assert (await client.conversations_info(channel=PUBLIC))["channel"]["is_member"] is False

    joined = await client.conversations_join(channel=PUBLIC)
    assert joined["channel"]["is_member"] is True and "warning" not in joined
    again = await client.conversations_join(channel=PUBLIC)
    assert again["warning"] == "already_in_channel"
    posted = await client.chat_postMessage(channel=PUBLIC, text="hi")
    await _upload(client, PUBLIC)
    assert [m["text"] for m in (await client.conversations_history(channel=PUBLIC))["messages"]][-1] == "hi"
    assert posted["ok"]


async def test_chat_write_public_posts_without_joining_but_files_and_history_still_need_membership():
    slack = standard_workspace(chat_write_public=True)
    await slack.start()
    try:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        slack.add_channel(PUBLIC, "war-room")
        slack.add_channel(PRIVATE, "secret", private=True)
        await client.chat_postMessage(channel=PUBLIC, text="hi")
        assert await _error(_upload(client, PUBLIC)) == "not_in_channel"
        assert await _error(client.conversations_history(channel=PUBLIC)) == "not_in_channel"
        assert await _error(client.chat_postMessage(channel=PRIVATE, text="hi")) == "channel_not_found"
    finally:
        await slack.stop()


async def test_a_private_channel_is_invisible_to_the_bot_until_invited_and_cannot_be_joined(slack, client):
    slack.add_channel(PRIVATE, "secret", private=True)
    for call in (client.chat_postMessage(channel=PRIVATE, text="hi"), client.conversations_info(channel=PRIVATE),
                 client.conversations_join(channel=PRIVATE), _upload(client, PRIVATE)):
        assert await _error(call) == "channel_not_found"
    slack.set_member(PRIVATE, "U0BOT", member=True)  # someone typed /invite @incident-bot
    assert await _error(client.conversations_join(channel=PRIVATE)) == "method_not_supported_for_channel_type"
    await client.chat_postMessage(channel=PRIVATE, text="hi")
    assert (await client.conversations_info(channel=PRIVATE))["channel"]["is_private"] is True


async def test_an_archived_channel_keeps_its_messages_and_refuses_new_ones(slack, client):
    root = await client.chat_postMessage(channel="C0ONCALL", text="Incident: checkout down")
    slack.archive_channel("C0ONCALL")
    assert await _error(client.chat_postMessage(channel="C0ONCALL", text="more")) == "is_archived"
    assert await _error(client.chat_update(channel="C0ONCALL", ts=root["ts"], text="edited")) == "is_inactive"
    assert await _error(_upload(client, "C0ONCALL")) == "invalid_channel"
    assert await _error(client.conversations_join(channel="C0ONCALL")) == "is_archived"
    assert (await client.conversations_info(channel="C0ONCALL"))["channel"]["is_archived"] is True
    assert [m["text"] for m in (await client.conversations_history(channel="C0ONCALL"))["messages"]] == [
        "Incident: checkout down"]


async def test_chat_update_text_over_4000_characters_is_refused_and_blocks_go_only_when_emptied(slack, client):
    card = [{"type": "actions", "elements": [{"type": "button", "action_id": "approve", "value": "v",
                                              "text": {"type": "plain_text", "text": "Approve"}}]}]  # fmt: skip
    msg = await client.chat_postMessage(channel="C0ONCALL", text="Approval needed", blocks=card)
    assert await _error(client.chat_update(channel="C0ONCALL", ts=msg["ts"], text="x" * 4001)) == "msg_too_long"
    await client.chat_update(channel="C0ONCALL", ts=msg["ts"], text="Approved")
    assert slack.messages("C0ONCALL")[0]["blocks"][0]["type"] == "actions"  # left out: the buttons stay
    await client.chat_update(channel="C0ONCALL", ts=msg["ts"], text="Approved", blocks=[])
    assert "blocks" not in slack.messages("C0ONCALL")[0]


async def test_an_app_hears_no_messages_from_a_channel_it_is_not_in(slack):
    slack.add_channel(PUBLIC, "war-room")
    await slack.post_message("U0ALICE", PUBLIC, "checkout is down")  # no app connected: delivering would wait
    assert not slack.envelopes
