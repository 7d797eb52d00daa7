"""`python -m bot` with bad credentials says what to fix instead of dumping a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from standins.managed_agents import ManagedAgentsStandin
from standins.slack import SlackStandin

from bot.settings import REPO_ROOT


async def test_a_refused_slack_token_is_explained(tmp_path):
    slack = SlackStandin(channels={"C0ONCALL": "oncall"}, bot_token="xoxb-right", app_token="xapp-right")
    agents = ManagedAgentsStandin()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-wrong", SLACK_APP_TOKEN="xapp-right", SLACK_API_URL=await slack.start(),
        ANTHROPIC_API_KEY="sk-ant-x", ANTHROPIC_BASE_URL=await agents.start(), ONCALL_CHANNEL="C0ONCALL",
        WORK_DIR=str(tmp_path), HTTP_PROXY="", HTTPS_PROXY="", http_proxy="", https_proxy="",
    )  # fmt: skip
    try:
        import asyncio

        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO_ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await agents.stop()
        await slack.stop()
    assert proc.returncode == 1
    message = err.decode()
    assert "could not start" in message and "SLACK_BOT_TOKEN" in message
    assert "xoxb-wrong" not in message and "Traceback" not in message
