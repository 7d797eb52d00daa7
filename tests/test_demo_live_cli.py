"""`python -m bot demo` for a person: the page's URL is printed, a decision made in the page ends the incident,
the terminal prompt copes with that, and Ctrl-C stops the demo cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

import aiohttp

from bot.settings import REPO_ROOT

TIMEOUT = 60.0


async def _until(proc: asyncio.subprocess.Process, seen: list[str], needle: str) -> str:
    async def read() -> str:
        while True:
            line = (await proc.stdout.readline()).decode()  # type: ignore[union-attr]
            if not line:
                raise AssertionError(f"the demo ended before {needle!r}:\n" + "".join(seen[-40:]))
            seen.append(line)
            if needle in line:
                return line

    return await asyncio.wait_for(read(), TIMEOUT)


async def test_a_decision_made_in_the_page_then_ctrl_c() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update(HTTP_PROXY="", HTTPS_PROXY="", http_proxy="", https_proxy="", DISPLAY="")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "--no-browser", "--pace", "0", cwd=REPO_ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    seen: list[str] = []
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/ui/", await _until(proc, seen, "The local Slack workspace:"))
        assert url is not None
        await _until(proc, seen, "type a or r and Enter here")
        async with aiohttp.ClientSession(base_url=url.group(0).removesuffix("/ui/")) as http:
            async with http.get("/ui/api/state", params={"user": "U0ONCALL", "channel": "C0ONCALL"}) as response:
                state = await response.json()
            card = next(m for m in state["channel"]["messages"]
                        if '"incident_approve"' in json.dumps(m.get("blocks")))
            click = {"user": "U0ONCALL", "channel": "C0ONCALL", "ts": card["ts"], "action_id": "incident_approve"}
            async with http.post("/ui/api/click", json=click) as response:
                assert (await response.json()) == {"ok": True, "acked": True}
        assert "decisions: approved; merged PRs: #1" in await _until(proc, seen, "decisions:")
        await _until(proc, seen, "The page stays up")
        proc.stdin.write(b"a\n")  # type: ignore[union-attr]
        await _until(proc, seen, "Nothing is waiting for a decision.")
        proc.send_signal(signal.SIGINT)
        await _until(proc, seen, "Stopping the demo.")
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
