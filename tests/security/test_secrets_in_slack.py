"""End to end: an agent that repeats every kind of credential, in every place the bot shows agent text, never gets
one into Slack, whole or cut in two (the real bot, the stand-ins and a scripted agent)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from blocks.ids import ActionId
from bot.demo import start_world
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import open_incident, wait_for_card
from tests.security.secrets import FORMATS, PEM_KEYS, TOKENS, leaked

TIMEOUT = 60
FILLER = "."
EVERY = "\n".join(f"{name}: {secret}" for name, secret in FORMATS.items())


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path / "work"


def _memory_diff() -> str:
    """The OOM fix: a clean diff whose PR title and body carry the secrets instead."""
    path = "k8s/checkout/deployment.yaml"
    text = (FIXTURES / "checkout-oom/repo" / path).read_text()
    new = text.replace("128Mi", "512Mi")
    return "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


def _diff() -> str:
    """A new file holding every secret: refused, since credentials never go into a repository."""
    lines = [f"# line {i}" for i in range(30)] + EVERY.splitlines() + ["# end"]
    added = "\n".join("+" + line for line in lines)
    path = "config/leaked.env"
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{added}\n"


def _posted(world) -> str:
    """Everything the bot sent to Slack: every Web API call's arguments and every uploaded file."""
    calls = [json.dumps(call.args, ensure_ascii=False, default=str) for call in world.slack.calls]
    files = [content.decode(errors="replace") for content in world.slack.file_contents().values()]
    return "\n".join(calls + files)


async def test_no_secret_reaches_slack_whole_or_in_halves(work_dir):
    answers = {}

    async def leaky(ctx, message):
        for secret in TOKENS.values():
            await ctx.bash(f"echo {FILLER * 225}{secret}")  # the step line shows 240 characters of the command
            await ctx.bash(f"echo {FILLER * 125}{secret}")  # and 140 of the output's first line
            await ctx.say(FILLER * 2990 + secret + FILLER * 200)  # the split into sections falls inside it
            await ctx.say(f"From the pod's env (JSON): \"PATH=/bin\\n{secret}\\nHOME=/root\"")  # after a literal \n
        for key in PEM_KEYS.values():
            await ctx.bash(f"printf '%s\\n' '{key}'")
        await ctx.say(f"Root cause: the deploy logged {TOKENS['GitHub fine-grained']} and more")
        await ctx.say(f"Everything I found:\n{EVERY}")
        refused = await ctx.call_tool("open_pull_request", {"title": "Add the keys", "body": EVERY, "diff": _diff()})
        answers["refused"] = refused
        pr = await ctx.call_tool("open_pull_request", {"title": f"Remove {TOKENS['AWS access key id']}",
                                                       "body": EVERY, "diff": _memory_diff()})
        number = json.loads(pr.text)["pr_number"]
        await ctx.call_tool("request_approval", {"summary": f"Delete these:\n{EVERY}", "pr_number": number})
        await ctx.say(f"Done. For the record:\n{EVERY}")  # the root message shows the last message

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, brain=ScriptedBrain(first=leaky))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts, timeout=TIMEOUT)
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
        posted = _posted(world)
        assert FILLER * 2000 in posted and "Everything I found" in posted and "512Mi" in posted
        assert answers["refused"].is_error and "config/leaked.env adds a line that looks like a secret" in answers["refused"].text
        assert not leaked(TOKENS["Slack bot"], answers["refused"].text)
        found = {name: pieces[:3] for name, secret in FORMATS.items() if (pieces := leaked(secret, posted))}
        assert not found, f"pieces of these reached Slack: {found}"
        assert posted.count("[redacted]") >= len(FORMATS)
    finally:
        await world.stop()
