"""Slack's refusals that retrying cannot fix, as the real bot meets them in the stand-in: the bot joins a public
channel it is not in (once), shows a message whose layout Slack refuses as plain text, skips what cannot be shown
with a log line and an audit line, and the thread goes on. No card ever has buttons without its whole diff."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from blocks.ids import ActionId
from bot.demo import DemoWorld, start_world
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, buttons, find_card, open_incident, thread, wait_for_card
from tests.security.diffs import git_diff

TIMEOUT = 60
BOT = "U0BOT"
WRITES = ("chat.postMessage", "chat.update", "files.completeUploadExternal")


@contextlib.asynccontextmanager
async def _world(work_dir: Path, agent: Any, **settings: Any) -> AsyncIterator[DemoWorld]:
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir,
                              brain=ScriptedBrain(first=agent), **settings)  # fmt: skip
    try:
        yield world
    finally:
        await world.stop()


def _said(world: DemoWorld, root_ts: str, text: str) -> int:
    return sum(text in block_text(m) for m in thread(world, root_ts)[1:])


def _roots(world: DemoWorld) -> list[dict[str, Any]]:
    """The incident root messages in #oncall (a broadcast approval card shows there too, but is a reply)."""
    return [m for m in world.slack.messages(ONCALL) if m.get("subtype") != "thread_broadcast"]


def _audit(world: DemoWorld) -> list[dict[str, Any]]:
    path = world.settings.audit_log
    lines = path.read_text().splitlines() if path.exists() else []
    return [r for r in map(json.loads, lines) if r["action"] == "slack_refused"]


def _ever_had_buttons(world: DemoWorld, action: ActionId) -> bool:
    """Whether any message the bot sent or updated carried this button, at any time."""
    for call in world.slack.calls:
        if call.method in ("chat.postMessage", "chat.update") and (call.response or {}).get("ok"):
            blocks = call.args.get("blocks") or []
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            if any(b.get("action_id") == action for b in buttons({"blocks": blocks})):
                return True
    return False


def _small_diff() -> str:
    """A change the card shows whole: no file needed."""
    path = "k8s/checkout/deployment.yaml"
    return git_diff(lambda w: (w / path).write_text((w / path).read_text().replace("replicas: 3", "replicas: 4")))


def _long_diff() -> str:
    """A change whose preview leaves lines out: the whole of it goes to the thread as pr-1.diff first."""
    def change(work: Path) -> None:
        (work / "k8s" / "checkout" / "warmup.sh").write_text("\n".join(f"echo {i}" for i in range(400)) + "\n")

    return git_diff(change)


def _says(*texts: str):
    async def agent(ctx, message):
        for text in texts:
            await ctx.say(text)

    return agent


async def test_a_public_oncall_channel_the_bot_is_not_in_is_joined_once(work_dir):
    async with _world(work_dir, _says("first finding", "second finding")) as world:
        world.slack.set_member(ONCALL, BOT, member=False)  # someone removed the bot from #oncall
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        assert len(world.slack.calls_to("conversations.join")) == 1
        assert _said(world, root_ts, "first finding") == 1 and _said(world, root_ts, "second finding") == 1
        assert len(_roots(world)) == 1


async def test_the_bot_joins_before_it_reads_the_thread_or_posts_the_whole_diff(work_dir):
    async def agent(ctx, message):
        opened = await ctx.call_tool("open_pull_request", {"title": "t", "body": "b", "diff": _long_diff()})
        await ctx.call_tool("request_approval", {"summary": "warm-up",
                                                 "pr_number": json.loads(opened.text)["pr_number"]})

    async with _world(work_dir, agent) as world:
        world.slack.chat_write_public = True  # messages reach #oncall without the bot in it; history, files do not
        world.slack.set_member(ONCALL, BOT, member=False)
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts, timeout=TIMEOUT)
        [diff] = [m for m in thread(world, root_ts) if any(f["name"] == "pr-1.diff" for f in m.get("files") or [])]
        assert float(diff["ts"]) < float(card["ts"])
        assert len(world.slack.calls_to("conversations.join")) == 1
        assert len(_roots(world)) == 1


async def test_a_private_channel_the_bot_was_removed_from_is_not_joined_and_the_log_says_why(work_dir, caplog):
    release = asyncio.Event()

    async def agent(ctx, message):
        await ctx.say("first finding")
        await release.wait()
        await ctx.say("second finding")

    async with _world(work_dir, agent) as world:
        world.slack.make_private(ONCALL)
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: _said(world, root_ts, "first finding") == 1, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        world.slack.set_member(ONCALL, BOT, member=False)
        with caplog.at_level(logging.WARNING):
            release.set()
            await run.wait_finished(timeout=TIMEOUT)
        assert not world.slack.calls_to("conversations.join")  # a private channel takes an invitation
        assert _said(world, root_ts, "second finding") == 0
        assert any("invite" in r.getMessage() and ONCALL in r.getMessage() for r in caplog.records)
        assert {r["outcome"].split(":")[0] for r in _audit(world)} >= {"channel_not_found"}


async def test_an_archived_channel_is_given_up_for_a_while_not_retried_forever(work_dir):
    release = asyncio.Event()

    async def agent(ctx, message):
        await ctx.say("first finding")
        await release.wait()
        for i in range(5):
            await ctx.say(f"finding after the archive {i}")

    async with _world(work_dir, agent) as world:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: _said(world, root_ts, "first finding") == 1, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        world.slack.archive_channel(ONCALL)
        before = len(world.slack.calls)
        release.set()
        await run.wait_finished(timeout=TIMEOUT)  # the thread is done with, not stuck retrying
        refused = [c for c in world.slack.calls[before:] if c.method in WRITES]
        assert 1 <= len(refused) <= 2 and all(c.response["error"] in ("is_archived", "is_inactive") for c in refused)
        assert len(_audit(world)) == 1 and _audit(world)[0]["session_id"] == run.session_id


async def test_a_message_someone_deleted_is_skipped_and_the_thread_and_the_root_go_on(work_dir):
    release = asyncio.Event()

    async def agent(ctx, message):
        await ctx.call_tool("get_recent_deploys", {})
        await release.wait()
        await ctx.call_tool("get_recent_deploys", {})  # the same progress message, updated
        await ctx.say("the finding after")

    async with _world(work_dir, agent) as world:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: len(thread(world, root_ts)) >= 2, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        progress = thread(world, root_ts)[1]
        world.slack.delete_message(ONCALL, progress["ts"])
        before = len(world.slack.calls)
        release.set()
        await run.wait_finished(timeout=TIMEOUT)
        assert _said(world, root_ts, "the finding after") == 1
        updates = [c for c in world.slack.calls[before:]
                   if c.method == "chat.update" and c.args.get("ts") == progress["ts"]]  # fmt: skip
        assert [c.response.get("error") for c in updates] == ["message_not_found"]  # tried once, then left alone
        [root] = _roots(world)
        assert "the agent finished its turn" in root["text"]  # the root still shows where the incident is
        assert [r["outcome"].split(":")[0] for r in _audit(world)] == ["message_not_found"]


async def test_a_card_update_slack_refuses_falls_back_to_text_and_drops_the_buttons(work_dir):
    async def agent(ctx, message):
        opened = await ctx.call_tool("open_pull_request", {"title": "t", "body": "b", "diff": _small_diff()})
        await ctx.call_tool("request_approval", {"summary": "one more replica",
                                                 "pr_number": json.loads(opened.text)["pr_number"]})
        await ctx.say("done")

    async with _world(work_dir, agent) as world:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        refused_once = lambda a: a.get("ts") == card["ts"]  # noqa: E731  (the card's own update, not the root's)
        world.slack.fail_next("chat.update", status=200, error="invalid_blocks", when=refused_once)
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.REJECT)
        await world.slack.wait_for(lambda s: bool(s.views.modals(YOU)), timeout=TIMEOUT)
        modal = world.slack.views.modals(YOU)[-1]
        await world.slack.submit_view(YOU, modal["id"], {"reason": {"reason_input": {"type": "plain_text_input",
                                                                                      "value": "not now"}}})
        await run.wait_finished(timeout=TIMEOUT)
        decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
        assert not buttons(decided), "the refused update left the card's live buttons"
        assert "Rejected" in block_text(decided)
        assert _said(world, root_ts, "done") == 1


async def test_a_card_whose_whole_diff_slack_will_not_take_never_gets_buttons(work_dir):
    async def agent(ctx, message):
        opened = await ctx.call_tool("open_pull_request", {"title": "t", "body": "b", "diff": _long_diff()})
        answer = await ctx.call_tool("request_approval", {"summary": "warm-up",
                                                          "pr_number": json.loads(opened.text)["pr_number"]})
        await ctx.say(f"the approval came back: {json.loads(answer.text)['decision']}")

    async with _world(work_dir, agent, approval_timeout=2.0, approval_remind_after=1.0) as world:
        world.slack.fail_next("files.getUploadURLExternal", status=200, error="file_uploads_disabled", count=100)
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        assert _said(world, root_ts, "the approval came back: rejected") == 1  # the thread went on past the card
        assert not _ever_had_buttons(world, ActionId.APPROVE)
        assert find_card(world, root_ts, ActionId.APPROVE) is None
        card = next(m for m in thread(world, root_ts) if "warm-up" in block_text(m))
        assert "pr-1.diff" in block_text(card) and "file_uploads_disabled" in block_text(card)
        assert [r["outcome"].split(":")[0] for r in _audit(world)] == ["file_uploads_disabled"]
