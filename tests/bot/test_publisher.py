"""The publisher against the Slack stand-in, through the real slack_sdk client: the thread shows what it is told, in
order, with the fewest writes, paced per channel, through 429s and failures, and a restart re-sends nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from blocks.message import Message
from bot.app import slack_client
from bot.identity import SlackIdentity, learn_identity
from bot.metadata import MessageMetadata, RootRecord
from bot.run.pacing import ChannelPacer
from bot.run.publisher import ThreadPublisher, reply
from bot.run.renderer import Rendered
from bot.settings import Settings
from standins.slack import SlackStandin
from tests.support.standins import standard_workspace

from tests.bot.stand import ALERTS, ALICE, ONCALL
from tests.bot.stand import listening as stand_listening

OTHER_APP = {"bot_id": "B0OTHERAPP", "app_id": "A0OTHERAPP"}
RECORD = RootRecord(title="checkout OOM", opened_by=ALICE, source="slash command", opening="Investigate.")
WRITES = ("chat.postMessage", "chat.update", "files.getUploadURLExternal")


@pytest.fixture
async def slack():
    server = standard_workspace()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def listening(slack):
    async with stand_listening(slack):
        yield


@dataclass
class Writer:
    """The real client (with the bot's 429 handler), the bot's identity, and one pacer, as the bot has them."""

    client: AsyncWebClient
    own: SlackIdentity
    pacer: ChannelPacer

    async def start_thread(self, record: RootRecord = RECORD) -> ThreadPublisher:
        return await ThreadPublisher.start_thread(self.client, channel=ONCALL, pacer=self.pacer, own=self.own,
                                                  root=Message("Incident: checkout OOM"), record=record)  # fmt: skip

    def publisher(self, thread_ts: str, *, record: RootRecord | None = None) -> ThreadPublisher:
        return ThreadPublisher(self.client, channel=ONCALL, thread_ts=thread_ts, session_id="sesn_1", pacer=self.pacer,
                               own=self.own, root_record=record)  # fmt: skip


async def _writer(slack: SlackStandin, per_second: float = 0.0) -> Writer:
    settings = Settings(slack_bot_token="xoxb-test", slack_app_token="xapp-test", oncall_channel=ONCALL,
                        anthropic_api_key="sk-ant-test", slack_api_url=slack.api_url)  # fmt: skip
    client = slack_client(settings)
    return Writer(client, await learn_identity(client), ChannelPacer(per_second))


def _items(*texts: str) -> list[Rendered]:
    return [Rendered(f"message:{i}", Message(text)) for i, text in enumerate(texts)]


def _replies(slack: SlackStandin, ts: str) -> list[str]:
    return [m["text"] for m in slack.thread(ONCALL, ts)[1:]]


def _writes(slack: SlackStandin) -> int:
    return sum(1 for c in slack.calls if c.method in WRITES)


async def test_the_root_message_is_posted_first_with_its_record_and_no_session(slack):
    w = await _writer(slack)
    thread = await w.start_thread()
    [root] = slack.messages(ONCALL)
    assert root["ts"] == thread.thread_ts and root["text"] == "Incident: checkout OOM"
    assert MessageMetadata.parse(root) == MessageMetadata(key="root", record=RECORD)


async def test_items_are_shown_in_order_with_their_keys_and_the_root_gets_the_session(slack):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    publisher = w.publisher(thread_ts, record=RECORD)
    publisher.submit(Message("Incident: checkout OOM (investigating)"), _items("one", "two", "three"))
    await publisher.flush(timeout=10)
    assert _replies(slack, thread_ts) == ["one", "two", "three"]
    keys = [MessageMetadata.parse(m).key for m in slack.thread(ONCALL, thread_ts)[1:]]
    assert keys == ["message:0", "message:1", "message:2"]
    root = MessageMetadata.parse(slack.messages(ONCALL)[0])
    assert root.session_id == "sesn_1" and root.record == RECORD and root.digest
    assert slack.messages(ONCALL)[0]["text"] == "Incident: checkout OOM (investigating)"


async def test_only_the_latest_submission_is_shown_and_unchanged_messages_cost_nothing(slack):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    publisher = w.publisher(thread_ts, record=RECORD)
    before = _writes(slack)
    for n in range(20):  # twenty states before the publisher runs once: Slack sees only the last
        publisher.submit(None, _items(f"version {n}"))
    await publisher.flush(timeout=10)
    assert _replies(slack, thread_ts) == ["version 19"]
    assert _writes(slack) - before == 1
    publisher.submit(None, _items("version 19"))
    await publisher.flush(timeout=10)
    assert _writes(slack) - before == 1
    publisher.submit(None, _items("version 20"))
    await publisher.flush(timeout=10)
    assert _replies(slack, thread_ts) == ["version 20"]
    assert [c.method for c in slack.calls if c.method in WRITES][-1] == "chat.update"


async def test_writes_to_one_channel_are_spaced_by_the_pacer(slack):
    w = await _writer(slack, per_second=10.0)  # one write every 100 ms per channel
    thread_ts = (await w.start_thread()).thread_ts
    publisher = w.publisher(thread_ts, record=RECORD)
    publisher.submit(None, _items("a", "b", "c", "d", "e"))
    await publisher.flush(timeout=10)
    posts = [c.at for c in slack.calls_to("chat.postMessage")]
    assert len(posts) == 6  # the root and five replies
    # The pacer spaces the sends; arrivals carry each request's own delay, so judge the whole run, not one gap: five
    # intervals are 0.5 s, unpaced the six posts take a few milliseconds, and two intervals of jitter are forgiven.
    assert posts[-1] - posts[0] >= 0.3


async def test_a_429_is_waited_out_and_the_message_is_posted_once(slack):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    publisher = w.publisher(thread_ts, record=RECORD)
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    publisher.submit(None, _items("after the 429"))
    await publisher.flush(timeout=20)
    assert _replies(slack, thread_ts) == ["after the 429"]
    assert [c.status for c in slack.calls_to("chat.postMessage")][1:] == [429, 200]


async def test_a_failed_write_is_retried_after_reading_the_thread_again_and_shows_once(slack):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    publisher = w.publisher(thread_ts, record=RECORD)
    slack.fail_next("chat.postMessage", status=500, count=3)  # more than the client's own retries
    publisher.submit(None, _items("after the outage"))
    await publisher.flush(timeout=20)
    assert _replies(slack, thread_ts) == ["after the outage"]
    assert slack.calls_to("conversations.replies")  # it re-read the thread before trying again


async def test_blocks_slack_refuses_fall_back_to_plain_text(slack):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    publisher = w.publisher(thread_ts, record=RECORD)
    slack.fail_next("chat.postMessage", status=200, error="invalid_blocks")
    words = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Root cause:* the heap outgrew 256Mi"}}]
    bad = Message("Root cause", blocks=[*words, {"type": "actions", "elements": [
        {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Approve"}}]}])
    publisher.submit(None, [Rendered("message:1", bad)])
    await publisher.flush(timeout=10)
    [shown] = slack.thread(ONCALL, thread_ts)[1:]
    assert shown["text"].startswith("*Root cause:* the heap outgrew 256Mi") and not shown.get("blocks")
    assert "invalid_blocks" in shown["text"] and "Approve" not in shown["text"]


async def test_after_a_restart_nothing_is_sent_again_and_the_root_record_is_read_back(slack):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    first = w.publisher(thread_ts, record=RECORD)
    diff = Rendered("diff:1", Message("", []), file=("pr-1.diff", "+limit: 512Mi\n"))
    first.submit(Message("root"), [*_items("one", "two"), diff])
    await first.flush(timeout=10)
    await first.close()
    writes = _writes(slack)

    again = w.publisher(thread_ts)  # a new process: no record in memory, nothing known about the thread
    await again.load()
    assert again.root_record == RECORD
    assert again.posted_keys == {"root", "message:0", "message:1", "diff:1"}
    again.submit(Message("root"), [*_items("one", "two"), diff])
    await again.flush(timeout=10)
    assert _writes(slack) == writes
    again.submit(Message("root"), [*_items("one", "two, edited"), diff])
    await again.flush(timeout=10)
    assert _replies(slack, thread_ts)[:2] == ["one", "two, edited"] and _writes(slack) == writes + 1


async def test_another_apps_copy_of_our_metadata_does_not_count_as_shown(slack, listening):
    w = await _writer(slack)
    thread_ts = (await w.start_thread()).thread_ts
    await slack.post_message("U0OTHER", ONCALL, "a lookalike", thread_ts=thread_ts, **OTHER_APP,
                             metadata={"event_type": "incident_bot", "event_payload": {"key": "message:0"}})  # fmt: skip
    publisher = w.publisher(thread_ts, record=RECORD)
    await publisher.load()
    assert "message:0" not in publisher.posted_keys
    publisher.submit(None, _items("the real one"))
    await publisher.flush(timeout=10)
    assert _replies(slack, thread_ts) == ["a lookalike", "the real one"]


async def test_a_reply_under_an_alert_is_posted_and_a_failure_does_not_raise(slack, listening):
    w = await _writer(slack)
    alert_ts = await slack.post_message(ALICE, ALERTS, "checkout is down")
    await reply(w.client, w.pacer, channel=ALERTS, thread_ts=alert_ts, text="Opened an incident")
    assert [m["text"] for m in slack.thread(ALERTS, alert_ts)[1:]] == ["Opened an incident"]
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    await reply(w.client, w.pacer, channel=ALERTS, thread_ts=alert_ts, text="lost")
    assert len(slack.thread(ALERTS, alert_ts)) == 2
