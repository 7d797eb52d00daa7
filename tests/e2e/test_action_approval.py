"""request_approval for an action that is not a pull request (a rollback, a restart): shown with Approve/Reject like
any other, with no diff attached, decided as usual, and never the approval a merge needs."""

from __future__ import annotations

import difflib
import json
from typing import Any

from blocks.ids import ActionId, decode_button_value
from bot.demo import start_world
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, buttons, open_incident, thread

TIMEOUT = 60
ROLLBACK = "Roll back checkout to v1.4.2: `kubectl rollout undo deployment/checkout -n shop`."
RESTART = "Restart the checkout pods: `kubectl rollout restart deployment/checkout -n shop`."


def _memory_diff() -> str:
    path = "k8s/checkout/deployment.yaml"
    text = (FIXTURES / "checkout-oom/repo" / path).read_text()
    new = text.replace("128Mi", "512Mi")
    return "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


async def _decide_pending(world, root_ts: str, *, expect: str) -> dict[str, Any]:
    """Wait for the pending card whose text has `expect`, check what it says, click Approve; the card as it was."""

    def pending() -> dict[str, Any] | None:
        approvable = [m for m in thread(world, root_ts) if any(b["action_id"] == ActionId.APPROVE for b in buttons(m))]
        return next((m for m in approvable if expect in block_text(m)), None)

    await world.slack.wait_for(lambda s: pending() is not None, timeout=TIMEOUT)
    card = pending()
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
    await world.slack.wait_for(lambda s: not buttons(next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])),
                               timeout=TIMEOUT)  # fmt: skip
    return card


def _says_no_diff(card: dict[str, Any]) -> None:
    text = block_text(card)
    assert "No diff is attached" in text and "covers the action described" in text
    assert "*PR:*" not in text and "approves diff" not in text
    [approve] = [b for b in buttons(card) if b["action_id"] == ActionId.APPROVE]
    assert decode_button_value(approve["value"]).pr_number is None
    assert "merge" not in approve["confirm"]["text"]["text"]


async def test_an_action_is_approved_like_any_other_but_never_authorises_a_merge(work_dir):
    answers: dict[str, Any] = {}

    async def rollback_then_merge(ctx, message):
        answers["action"] = await ctx.call_tool("request_approval", {"summary": ROLLBACK})
        pr = await ctx.call_tool("open_pull_request", {"title": "Raise memory", "body": "oom.md", "diff": _memory_diff()})
        answers["merge"] = await ctx.call_tool("merge_pull_request", {"pr_number": json.loads(pr.text)["pr_number"]})
        await ctx.say("Rolled back.")

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir,
                              brain=ScriptedBrain(first=rollback_then_merge))  # fmt: skip
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await _decide_pending(world, root_ts, expect="Roll back checkout")
        _says_no_diff(card)
        await run.wait_finished(timeout=TIMEOUT)

        decision = json.loads(answers["action"].text)
        assert not answers["action"].is_error
        assert (decision["decision"], decision["approver"], decision["pr_number"]) == ("approved", YOU, None)
        decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
        assert "Approved" in block_text(decided) and f"<@{YOU}>" in block_text(decided)
        assert answers["merge"].is_error and "not been approved" in answers["merge"].text
        assert not await world.bot.prs.is_merged(run.session_id, 1)
        audit = [json.loads(x) for x in world.settings.audit_log.read_text().splitlines()]
        assert [(r["action"], r["pr_number"]) for r in audit] == [("approved", None), ("merge_refused", 1)]
    finally:
        await world.stop()


async def test_pr_number_null_asks_about_an_action_and_leaving_it_out_still_means_the_latest_pr(work_dir):
    answers: dict[str, Any] = {}

    async def script(ctx, message):
        pr = await ctx.call_tool("open_pull_request", {"title": "Raise memory", "body": "oom.md", "diff": _memory_diff()})
        number = json.loads(pr.text)["pr_number"]
        answers["restart"] = await ctx.call_tool("request_approval", {"summary": RESTART, "pr_number": None})
        answers["merge after the restart"] = await ctx.call_tool("merge_pull_request", {"pr_number": number})
        answers["pr"] = await ctx.call_tool("request_approval", {"summary": "Raise the memory limit to 512Mi."})
        answers["merge"] = await ctx.call_tool("merge_pull_request", {"pr_number": number})

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, brain=ScriptedBrain(first=script))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        _says_no_diff(await _decide_pending(world, root_ts, expect="Restart the checkout pods"))
        card = await _decide_pending(world, root_ts, expect="Raise the memory limit")
        assert "PR #1" in card["text"] and "+" in block_text(card) and "512Mi" in block_text(card)
        await run.wait_finished(timeout=TIMEOUT)

        assert json.loads(answers["restart"].text)["pr_number"] is None
        assert answers["merge after the restart"].is_error and "not been approved" in answers["merge after the restart"].text
        assert json.loads(answers["pr"].text)["pr_number"] == 1
        assert json.loads(answers["merge"].text)["merged"] is True
    finally:
        await world.stop()
