"""A diff carrying git configuration, attributes and hooks never runs anything on the bot's host."""

from __future__ import annotations

import json
import shutil

import pytest

from blocks.ids import ActionId
from bot.demo import start_world
from standins.github import GitHubStandin
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import find_card, open_incident
from tests.security.poison import KINDS, git_poison, new_file, plant_poison

TIMEOUT = 60


def _attacker(diff: str, answers: dict):
    async def script(ctx, message):
        opened = answers["open"] = await ctx.call_tool(
            "open_pull_request", {"title": "Raise memory", "body": "routine", "diff": diff})
        if opened.is_error:
            await ctx.say("could not open the pull request")
            return
        number = json.loads(opened.text)["pr_number"]
        answers["decision"] = await ctx.call_tool("request_approval", {"summary": "raise memory", "pr_number": number})
        answers["merge"] = await ctx.call_tool("merge_pull_request", {"pr_number": number})
        # main's work tree now holds the poison, where the bot's next git calls run
        answers["second"] = await ctx.call_tool("open_pull_request", {
            "title": "Add a note", "body": "", "diff": new_file("NOTES.md", "follow-up\n")})
        await ctx.say("done")

    return script


def _ran(marker) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


@pytest.mark.parametrize("kind", KINDS)
async def test_a_poisoned_diff_runs_nothing_when_opened_approved_and_merged(tmp_path, kind):
    marker, answers = tmp_path / "marker", {}
    brain = ScriptedBrain(first=_attacker(git_poison(marker, kind), answers))
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", brain=brain)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.slack.wait_for(
            lambda s: find_card(world, root_ts, ActionId.APPROVE) is not None or run.state.finished, timeout=TIMEOUT)
        if (card := find_card(world, root_ts, ActionId.APPROVE)) is not None:
            await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
        assert _ran(marker) == [], "the bot's git ran commands the agent's diff configured"
        if not answers["open"].is_error:  # whatever the answer; when opened, approval and merge run nothing either
            assert json.loads(answers["merge"].text).get("merged") is True, answers["merge"].text
            assert not answers["second"].is_error, answers["second"].text
    finally:
        await world.stop()


async def test_a_poisoned_default_branch_runs_nothing_when_the_bot_patches_it_for_github(tmp_path):
    source, marker = tmp_path / "infra", tmp_path / "marker"
    shutil.copytree(FIXTURES / "checkout-oom" / "repo", source)
    plant_poison(source, marker, "drivers")  # as if an earlier PR had brought them in
    firsts = {".gitconfig": '[filter "pwn"]', ".gitattributes": "* filter=pwn diff=pwn merge=pwn"}
    touch = "".join(f"--- a/{p}\n+++ b/{p}\n@@ -1 +1,2 @@\n {first}\n+# {p}\n" for p, first in firsts.items())
    answers: dict = {}

    async def script(ctx, message):
        answers["open"] = await ctx.call_tool("open_pull_request", {"title": "t", "body": "", "diff": touch})
        await ctx.say("done")

    github = GitHubStandin(repo="acme/infra", source=source, token="ghp_e2etoken")
    await github.start()
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", github=github,
                              brain=ScriptedBrain(first=script))  # the session clones the poisoned branch too
    try:
        _, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        assert "open" in answers
        assert _ran(marker) == [], "the bot's git ran commands the repository configured"
    finally:
        await world.stop()
        await github.stop()
