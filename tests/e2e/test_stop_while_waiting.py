"""Stop while the agent waits on an answer: whether or not the service acts on an interrupt that reaches a session idle
on requires_action (the stand-in's switch), everything the agent waits on is answered once and the incident stops."""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest
from anthropic import AsyncAnthropic

from blocks.ids import ActionId
from blocks.views import IncidentStatus
from bot.app import build_bot
from bot.demo import start_world
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, buttons, find_card, open_incident, sent_events, thread

TIMEOUT = 60
IDLE = pytest.mark.parametrize("ignored", [False, True], ids=["interrupt-ends-idle-turn", "interrupt-ignored-while-idle"])


def _memory_diff() -> str:
    path = "k8s/checkout/deployment.yaml"
    text = (FIXTURES / "checkout-oom/repo" / path).read_text()
    return "".join(difflib.unified_diff(text.splitlines(True), text.replace("128Mi", "512Mi").splitlines(True),
                                        f"a/{path}", f"b/{path}"))  # fmt: skip


def _answers(world, session_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every custom tool result and confirmation the stand-in took, by the call it answers."""
    out: dict[str, list[dict[str, Any]]] = {}
    for event in world.agents.sessions[session_id].events:
        if event["type"] in ("user.custom_tool_result", "user.tool_confirmation") and event.get("processed_at"):
            out.setdefault(event.get("custom_tool_use_id") or event["tool_use_id"], []).append(event)
    return out


def _audit(world) -> list[tuple[str, str | None]]:
    return [(r["action"], r["who"]) for r in map(json.loads, world.settings.audit_log.read_text().splitlines())]


async def _stop(world, root_ts: str, run) -> None:
    await world.slack.click(YOU, ONCALL, root_ts, ActionId.STOP)
    await run.wait_finished(timeout=TIMEOUT)


@IDLE
async def test_stop_while_an_approval_waits_rejects_it_and_refuses_what_the_agent_tries_next(work_dir, ignored):
    said: dict[str, Any] = {}

    async def script(ctx, message):
        pr = json.loads((await ctx.call_tool("open_pull_request", {"title": "Raise memory", "body": "oom.md",
                                                                   "diff": _memory_diff()})).text)  # fmt: skip
        said["approval"] = await ctx.call_tool("request_approval", {"summary": "raise memory", "pr_number": pr["pr_number"]})
        said["merge"] = await ctx.call_tool("merge_pull_request", {"pr_number": pr["pr_number"]})  # at once: idle again
        await ctx.say("I was told to stop.")

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, brain=ScriptedBrain(first=script))
    world.agents.ignore_interrupts_while_idle = ignored
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: find_card(world, root_ts, ActionId.APPROVE) is not None, timeout=TIMEOUT)
        await run.wait_live(timeout=TIMEOUT)
        card = find_card(world, root_ts, ActionId.APPROVE)
        await _stop(world, root_ts, run)

        decision = json.loads(said["approval"].text)
        assert (decision["decision"], decision["approver"], decision["reason"]) == ("rejected", YOU, f"stopped by <@{YOU}>")
        assert decision["stopped"] is True and decision["pr_number"] == 1
        assert all(len(answers) == 1 for answers in _answers(world, run.session_id).values())  # each call once
        assert not await world.bot.prs.is_merged(run.session_id, 1)
        assert run.state.status is IncidentStatus.STOPPED and run.state.stopped_by == YOU
        decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
        assert not buttons(decided) and "Rejected" in block_text(decided) and "the incident was stopped" in block_text(decided)
        root = world.slack.messages(ONCALL)[0]
        assert "Stopped" in block_text(root) and not buttons(root)
        if ignored:  # the agent went on to merge before the interrupt came: refused, and interrupted again
            assert said["merge"].is_error and f"stopped by <@{YOU}>" in said["merge"].text
            assert _audit(world) == [("stopped", YOU), ("rejected", YOU), ("merge_refused", YOU)]
            assert len(sent_events(world, run.session_id, "user.interrupt")) == 2
        else:  # the interrupt ended the turn that was about to merge
            assert "merge" not in said or said["merge"].is_error
            assert _audit(world)[:2] == [("stopped", YOU), ("rejected", YOU)]
    finally:
        await world.stop()


@IDLE
async def test_stop_while_a_tool_call_is_held_denies_it_once(work_dir, ignored):
    said: dict[str, str] = {}

    async def script(ctx, message):
        said["bash"] = await ctx.bash("kubectl rollout restart deployment/checkout")
        await ctx.say("done")

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, confirm_tools=("bash",),
                              brain=ScriptedBrain(first=script))  # fmt: skip
    world.agents.ignore_interrupts_while_idle = ignored
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: find_card(world, root_ts, ActionId.ALLOW) is not None, timeout=TIMEOUT)
        await run.wait_live(timeout=TIMEOUT)
        card = find_card(world, root_ts, ActionId.ALLOW)
        await _stop(world, root_ts, run)

        [denied] = sent_events(world, run.session_id, "user.tool_confirmation")
        assert denied["result"] == "deny" and denied["deny_message"] == f"[{YOU}] the incident was stopped by <@{YOU}>"
        assert said["bash"].startswith("Permission denied") and "stopped" in said["bash"]
        assert run.state.status is IncidentStatus.STOPPED
        decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
        assert not buttons(decided) and "Denied" in block_text(decided) and f"<@{YOU}>" in block_text(decided)
        assert _audit(world) == [("stopped", YOU), ("denied", YOU)]
    finally:
        await world.stop()


async def test_an_incident_an_older_bot_stopped_but_left_waiting_is_answered_by_the_next_bot(work_dir):
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir)
    world.agents.ignore_interrupts_while_idle = True
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(lambda s: find_card(world, root_ts, ActionId.APPROVE) is not None, timeout=TIMEOUT)
        await world.bot.stop()
        # What a bot that only interrupted left behind: who stopped it, and an interrupt the idle session ignored.
        async with AsyncAnthropic(api_key=world.settings.anthropic_api_key, base_url=world.agents.base_url) as client:
            await client.beta.sessions.update(run.session_id, metadata={"stopped_by": YOU})
            await client.beta.sessions.events.send(run.session_id, events=[{"type": "user.interrupt"}])
        assert world.agents.sessions[run.session_id].status == "idle"  # still waiting on the approval

        world.bot = build_bot(world.settings)
        await world.bot.start()
        await world.slack.wait_for(lambda s: world.bot.incidents.find_by_thread(ONCALL, root_ts) is not None,
                                   timeout=TIMEOUT)  # fmt: skip
        resumed = world.bot.incidents.find_by_thread(ONCALL, root_ts)
        await resumed.wait_finished(timeout=TIMEOUT)
        [(call_id, [answer])] = [(k, v) for k, v in _answers(world, run.session_id).items()
                                 if k in resumed.state.approvals]  # fmt: skip
        decision = json.loads(answer["content"][0]["text"])
        assert (decision["decision"], decision["approver"], decision["stopped"]) == ("rejected", YOU, True)
        assert resumed.state.status is IncidentStatus.STOPPED
    finally:
        await world.stop()
