"""What the bot enforces in code whatever the agent does: no merge without approval, escaped text, known limits."""

from __future__ import annotations

import json
import logging

from blocks.ids import ActionId
from blocks.limits import check_message
from blocks.message import Message
from bot.demo import start_world
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, find_card, local_prs, open_incident, result_json, sent_events, thread

TIMEOUT = 60


def _memory_diff() -> str:
    import difflib

    text = (FIXTURES / "checkout-oom/repo/k8s/checkout/deployment.yaml").read_text()
    new = text.replace("128Mi", "512Mi")
    path = "k8s/checkout/deployment.yaml"
    return "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


async def test_a_merge_without_approval_is_refused_in_code(work_dir):
    answers = {}

    async def rogue(ctx, message):
        pr = await ctx.call_tool("open_pull_request", {"title": "Raise memory", "body": "trust me", "diff": _memory_diff()})
        answers["pr"] = pr
        number = json.loads(pr.text)["pr_number"]
        answers["merge"] = await ctx.call_tool("merge_pull_request", {"pr_number": number})
        await ctx.say("I tried to merge without asking.")

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, brain=ScriptedBrain(first=rogue))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        assert answers["merge"].is_error and "not been approved" in answers["merge"].text
        assert not await world.bot.prs.is_merged(run.session_id, 1)
        assert "512Mi" not in (local_prs(world).repo_path(run.session_id) / "k8s/checkout/deployment.yaml").read_text()
        assert "I tried to merge without asking." in "\n".join(block_text(m) for m in thread(world, root_ts))
    finally:
        await world.stop()


async def test_agent_text_never_pings_or_links_and_fits_slack(work_dir):
    nasty = "<!channel> <!here> <@U0VICTIM> click <http://evil.example|here> & <script>alert(1)</script>"

    async def loud(ctx, message):
        await ctx.say(nasty)
        await ctx.say("Root cause: " + "very long analysis " * 12000)  # ~230,000 characters

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, brain=ScriptedBrain(first=loud))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        msgs = thread(world, root_ts)
        everything = "\n".join(block_text(m) for m in msgs)
        for raw in ("<!channel>", "<!here>", "<@U0VICTIM>", "<http://evil.example", "<script>"):
            assert raw not in everything
        assert "&lt;!channel&gt;" in everything
        replies = [m for m in msgs if m["ts"] != root_ts]
        shown = " ".join(b["text"]["text"] for m in replies for b in m.get("blocks") or [] if b.get("type") == "section")
        assert " ".join(shown.split()).count("very long analysis") == 12000  # split across messages, nothing lost
        for m in msgs:
            assert not check_message(Message(text=m.get("text", ""), blocks=m.get("blocks") or []))
    finally:
        await world.stop()


async def test_an_unknown_event_type_is_ignored_and_logged_once(world, caplog):
    caplog.set_level(logging.WARNING)
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    await world.agents.wait_for(lambda s: run.session_id in s.sessions, timeout=TIMEOUT)
    for _ in range(2):
        world.agents.emit(run.session_id, {"type": "agent.telepathy", "mood": "curious"})
    await world.slack.wait_for(lambda s: find_card(world, root_ts, ActionId.APPROVE) is not None, timeout=TIMEOUT)
    card = find_card(world, root_ts, ActionId.APPROVE)
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
    await run.wait_finished(timeout=TIMEOUT)
    assert "agent.telepathy" in run.state.unknown_types
    assert sum("agent.telepathy" in r.getMessage() for r in caplog.records) == 1
    assert [result_json(e)["decision"] for e in sent_events(world, run.session_id, "user.custom_tool_result") if "decision" in result_json(e)] == ["approved"]
