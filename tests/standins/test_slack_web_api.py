"""The Slack stand-in's Web API, driven through the real AsyncWebClient."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from standins.slack import SlackStandin



META = "incident_bot"


@pytest.fixture
def client(slack: SlackStandin) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(**overrides: Any) -> dict[str, Any]:
    button = {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "v"}
    return {"type": "actions", "elements": [{**button, **overrides}]}


async def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])


async def test_post_update_replies_round_trip_metadata(slack: SlackStandin, client: AsyncWebClient) -> None:
    root = await client.chat_postMessage(channel="C0ONCALL", text="Incident: checkout down",
                                         metadata={"event_type": META, "event_payload": {"key": "root"}})
    reply = await client.chat_postMessage(channel="C0ONCALL", thread_ts=root["ts"], text="step 1",
                                          blocks=[_section("*step 1*")],
                                          metadata={"event_type": META, "event_payload": {"key": "s1"}})
    assert reply["message"]["thread_ts"] == root["ts"] and reply["message"]["bot_id"] == "B0BOT"
    updated = await client.chat_update(channel="C0ONCALL", ts=reply["ts"], text="step 1 done",
                                       metadata={"event_type": META, "event_payload": {"key": "s1", "v": 2}})
    assert updated["ts"] == reply["ts"] and updated["message"]["edited"]["user"] == "U0BOT"

    plain = await client.conversations_replies(channel="C0ONCALL", ts=root["ts"])
    assert [m["ts"] for m in plain["messages"]] == [root["ts"], reply["ts"]]
    assert all("metadata" not in m for m in plain["messages"])  # only when asked for
    full = await client.conversations_replies(channel="C0ONCALL", ts=root["ts"], include_all_metadata=True)
    head, step = full["messages"]
    assert head["metadata"] == {"event_type": META, "event_payload": {"key": "root"}}
    assert head["reply_count"] == 1 and head["latest_reply"] == reply["ts"]
    assert step["metadata"]["event_payload"] == {"key": "s1", "v": 2}
    assert step["text"] == "step 1 done" and step["blocks"][0]["text"]["text"] == "*step 1*"  # blocks kept
    assert [m["ts"] for m in slack.messages("C0ONCALL")] == [root["ts"]]
    assert [m["text"] for m in slack.thread("C0ONCALL", root["ts"])] == ["Incident: checkout down", "step 1 done"]
    assert slack.calls_to("chat.postMessage")[0].args["metadata"]["event_payload"] == {"key": "root"}


async def test_ts_increase_and_replies_page_with_cursor(client: AsyncWebClient) -> None:
    root = await client.chat_postMessage(channel="C0ONCALL", text="root")
    replies = [(await client.chat_postMessage(channel="C0ONCALL", text=f"r{i}", thread_ts=root["ts"]))["ts"]
               for i in range(5)]
    stamps = [root["ts"], *replies]
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == len(stamps)
    seen: list[str] = []
    async for page in await client.conversations_replies(channel="C0ONCALL", ts=root["ts"], limit=2):
        assert page["messages"][0]["ts"] == root["ts"]  # the root heads every page, as in Slack
        seen += [m["ts"] for m in page["messages"][1:]]
    assert seen == replies
    history = await client.conversations_history(channel="C0ONCALL")
    assert [m["ts"] for m in history["messages"]] == [root["ts"]]


@pytest.mark.parametrize("blocks, pointer", [
    ([_section(f"b{i}") for i in range(51)], "/blocks"),
    ([_section("x" * 3001)], "/blocks/0/text/text"),
    ([_button(text={"type": "plain_text", "text": "y" * 76})], "/blocks/0/elements/0/text/text"),
    ([_button(value="v" * 2001)], "/blocks/0/elements/0/value"),
    ([_button(action_id="a" * 256)], "/blocks/0/elements/0/action_id"),
    ([{**_section("ok"), "block_id": "b" * 256}], "/blocks/0/block_id"),
])
async def test_blocks_past_slack_limits_are_refused(slack: SlackStandin, client: AsyncWebClient,
                                                     blocks: list[dict[str, Any]], pointer: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0ONCALL", text="t", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}]" in m for m in caught.value.response["response_metadata"]["messages"])
    assert slack.messages("C0ONCALL") == []


async def test_blocks_carrying_more_than_12000_characters_of_text_are_msg_blocks_too_long(
        slack: SlackStandin, client: AsyncWebClient) -> None:
    four = [_section("x" * 3000) for _ in range(4)]
    await client.chat_postMessage(channel="C0ONCALL", text="t", blocks=four)  # 12,000: the most
    too_long = [*four, _section("x")]
    assert await _error(client.chat_postMessage(channel="C0ONCALL", text="t", blocks=too_long)) == "msg_blocks_too_long"
    ts = slack.messages("C0ONCALL")[0]["ts"]
    refused = await _error(client.chat_update(channel="C0ONCALL", ts=ts, text="t", blocks=too_long))
    assert refused == "msg_blocks_too_long"


async def test_limits_that_pass_and_text_truncation(slack: SlackStandin, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C0ONCALL", text="t", blocks=[_section(f"b{i}") for i in range(50)])
    long = await client.chat_postMessage(channel="C0ONCALL", text="z" * 40_100)
    assert len(long["message"]["text"]) == 40_000
    with pytest.warns(UserWarning):  # slack_sdk's own warning about the missing text
        assert await _error(client.chat_postMessage(channel="C0ONCALL")) == "no_text"
    assert await _error(client.chat_postMessage(channel="C0NOPE", text="t")) == "channel_not_found"
    assert await _error(client.chat_update(channel="C0ONCALL", ts="1.000000", text="t")) == "message_not_found"


async def test_429_with_retry_after_is_honoured_by_the_retry_handler(slack: SlackStandin) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url,
                            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    posted = await client.chat_postMessage(channel="C0ONCALL", text="after the limit")
    assert posted["ok"]
    first, second = slack.calls_to("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert first.response == {"ok": False, "error": "ratelimited"}
    assert second.at - first.at >= 1.0
    assert len(slack.messages("C0ONCALL")) == 1


async def test_injected_errors_without_retries(slack: SlackStandin, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0ONCALL", text="t")
    assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"] == "7"
    slack.fail_next("chat.update", error="internal_error")
    assert await _error(client.chat_update(channel="C0ONCALL", ts="1.0", text="t")) == "internal_error"


async def test_unknown_method_and_tokens(slack: SlackStandin, client: AsyncWebClient) -> None:
    assert await _error(client.chat_scheduleMessage(channel="C0ONCALL", post_at=1, text="t")) == "unknown_method"
    assert slack.calls_to("chat.scheduleMessage")[0].response["error"] == "unknown_method"
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
    assert await _error(wrong.auth_test()) == "invalid_auth"
    assert await _error(AsyncWebClient(base_url=slack.api_url).auth_test()) == "not_authed"
    app_token = AsyncWebClient(token="xapp-test", base_url=slack.api_url)
    assert await _error(app_token.chat_postMessage(channel="C0ONCALL", text="t")) == "not_allowed_token_type"
    assert await _error(client.apps_connections_open(app_token="xoxb-test")) == "not_allowed_token_type"
    opened = await client.apps_connections_open(app_token="xapp-test")
    assert opened["url"].startswith(slack.ws_url + "?ticket=")
    auth = await client.auth_test(team_id="T0TEAM")  # unknown arguments are ignored, as Bolt needs
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("U0BOT", "B0BOT", "T0TEAM")


async def test_members_groups_channels_ephemerals_reactions(slack: SlackStandin, client: AsyncWebClient) -> None:
    assert (await client.usergroups_users_list(usergroup="S0SRE"))["users"] == ["U0ALICE", "U0BOB"]
    assert await _error(client.usergroups_users_list(usergroup="S0NOPE")) == "no_such_subteam"
    alice = (await client.users_info(user="U0ALICE"))["user"]
    assert (alice["name"], alice["real_name"], alice["is_bot"]) == ("alice", "Alice", False)
    assert await _error(client.users_info(user="U0NOPE")) == "user_not_found"
    assert (await client.conversations_info(channel="C0ONCALL"))["channel"]["name"] == "oncall"
    shown = await client.chat_postEphemeral(channel="C0ONCALL", user="U0BOB", text="only approvers may decide")
    assert [e["text"] for e in slack.ephemerals("U0BOB")] == ["only approvers may decide"]
    assert slack.ephemerals("U0ALICE") == [] and shown["message_ts"]
    msg = await client.chat_postMessage(channel="C0ONCALL", text="t")
    await client.reactions_add(channel="C0ONCALL", timestamp=msg["ts"], name="eyes")
    assert await _error(client.reactions_add(channel="C0ONCALL", timestamp=msg["ts"], name="eyes")) == \
        "already_reacted"
    assert slack.messages("C0ONCALL")[0]["reactions"] == [{"name": "eyes", "users": ["U0BOT"], "count": 1}]
    link = await client.chat_getPermalink(channel="C0ONCALL", message_ts=msg["ts"])
    assert link["permalink"].endswith("/archives/C0ONCALL/p" + msg["ts"].replace(".", ""))


async def test_files_upload_v2_end_to_end(slack: SlackStandin, client: AsyncWebClient) -> None:
    root = await client.chat_postMessage(channel="C0ONCALL", text="incident")
    done = await client.files_upload_v2(channel="C0ONCALL", thread_ts=root["ts"], filename="pr-7.diff",
                                        title="pr-7.diff", content="--- a\n+++ b\n", initial_comment="The diff")
    assert done["file"]["title"] == "pr-7.diff"
    assert [c.method for c in slack.calls] == ["chat.postMessage", "files.getUploadURLExternal", "upload",
                                               "files.completeUploadExternal"]
    _, shared = slack.thread("C0ONCALL", root["ts"])
    assert shared["text"] == "The diff" and shared["files"][0]["name"] == "pr-7.diff"
    assert slack.workspace.files[done["file"]["id"]].content == b"--- a\n+++ b\n"
    replies = await client.conversations_replies(channel="C0ONCALL", ts=root["ts"])
    assert replies["messages"][1]["files"][0]["id"] == done["file"]["id"]
    never = await client.files_getUploadURLExternal(filename="x.txt", length=3)
    assert await _error(client.files_completeUploadExternal(files=[{"id": never["file_id"]}])) == "file_not_found"
