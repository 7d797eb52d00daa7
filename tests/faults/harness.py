"""Fault-injection harness: run an incident under a fault, then count what was lost or repeated.

The bot is the real one: in-process (the demo world's) for stream cuts, 429s, redelivery and racing clicks, and a real
`python -m bot` subprocess for SIGKILL. What counts is read from the stand-ins' own records.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blocks.ids import ActionId
from bot.demo import ALERTS, BYSTANDER, ONCALL, YOU, Standins
from bot.settings import REPO_ROOT, child_env

APPROVER, OTHER = YOU, BYSTANDER
OOM = REPO_ROOT / "fixtures" / "checkout-oom"
WRITES = ("chat.postMessage", "chat.update", "files.completeUploadExternal")
TIMEOUT = 60.0


@dataclass
class Outcome:
    """What one run left behind, counted from the stand-ins."""

    faults: int = 0
    lost: int = 0
    duplicated: int = 0
    decisions_duplicated: int = 0
    merges_without_approval: int = 0
    live_dead_buttons: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.decisions_duplicated or self.merges_without_approval or self.live_dead_buttons)


# --- reading the outcome ---------------------------------------------------------------------------------


def _key(msg: dict[str, Any]) -> str | None:
    meta = msg.get("metadata") or {}
    return (meta.get("event_payload") or {}).get("key") if meta.get("event_type") == "incident_bot" else None


def _buttons(msg: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in msg.get("blocks") or [] if b.get("type") == "actions" for e in b.get("elements", [])]


def _text(content: Any) -> str:
    return "".join(b.get("text", "") for b in content or [] if isinstance(b, dict))


def examine(stage: Standins, session_id: str, root_ts: str) -> Outcome:
    """Count lost and repeated messages and decisions, merges without approval and live buttons on dead cards."""
    out = Outcome()
    history = stage.agents.sessions[session_id].events
    thread = stage.slack.thread(ONCALL, root_ts)
    keys = Counter(k for k in map(_key, thread) if k)
    for ev in history:
        if ev["type"] == "agent.message":
            shown = keys.get(f"message:{ev['id']}", 0)
            out.lost += shown == 0
            out.duplicated += max(shown - 1, 0)
    out.duplicated += sum(n - 1 for k, n in keys.items() if n > 1 and not k.startswith("message:"))
    results = Counter(e["custom_tool_use_id"] for e in history if e["type"] == "user.custom_tool_result")
    out.decisions_duplicated = sum(n - 1 for n in results.values() if n > 1)
    uses = {e["id"]: e for e in history if e["type"] == "agent.custom_tool_use"}
    approved = False
    for ev in history:
        if ev["type"] != "user.custom_tool_result" or ev["custom_tool_use_id"] not in uses:
            continue
        name = uses[ev["custom_tool_use_id"]]["name"]
        text = _text(ev.get("content"))
        data = json.loads(text) if text.startswith("{") else {}
        if name == "request_approval" and data.get("decision") == "approved":
            approved = True
        if name == "merge_pull_request" and data.get("merged") and not approved:
            out.merges_without_approval += 1
    for msg in thread:
        key = _key(msg) or ""
        if key.startswith("approval:") and _buttons(msg) and (key.split(":", 1)[1] in results or stage.agents.sessions[session_id].status == "terminated"):
            out.live_dead_buttons += 1
    return out


# --- driving an incident -----------------------------------------------------------------------------------


def _pending_card(stage: Standins, root_ts: str) -> dict[str, Any] | None:
    for msg in stage.slack.thread(ONCALL, root_ts):
        if any(b.get("action_id") == ActionId.APPROVE for b in _buttons(msg)):
            return msg
    return None


def _session_of(stage: Standins, root_ts: str) -> str | None:
    for sid, session in stage.agents.sessions.items():
        if session.metadata.get("slack_thread_ts") == root_ts:
            return sid
    return None


def _decided(stage: Standins, session_id: str) -> bool:
    history = stage.agents.sessions[session_id].events
    asks = {e["id"] for e in history if e["type"] == "agent.custom_tool_use" and e["name"] == "request_approval"}
    return any(e["type"] == "user.custom_tool_result" and e["custom_tool_use_id"] in asks for e in history)


def _ended(stage: Standins, session_id: str) -> bool:
    history = stage.agents.sessions[session_id].events
    last = [e for e in history if e["type"] == "session.status_idle"]
    return bool(last) and (last[-1].get("stop_reason") or {}).get("type") == "end_turn" and _decided(stage, session_id)


async def open_incident(stage: Standins, text: str = "checkout pods OOMKilled") -> str:
    """Type /incident until the bot acks (it may be restarting); return the root message ts."""
    before = len(stage.slack.messages(ONCALL))
    await stage.slack.slash_command(APPROVER, "/incident", text, channel_id=ONCALL)
    await stage.slack.wait_for(lambda s: len(s.messages(ONCALL)) > before, timeout=TIMEOUT)
    return stage.slack.messages(ONCALL)[-1]["ts"]


async def approve_when_asked(stage: Standins, root_ts: str, *, clicks: int = 1) -> str:
    """Wait for the card and click Approve (again if a restart swallowed the click); return the session id."""
    await stage.agents.wait_for(lambda a: _session_of(stage, root_ts) is not None, timeout=TIMEOUT)
    session_id = _session_of(stage, root_ts)
    assert session_id
    while not _decided(stage, session_id):
        await stage.slack.wait_for(lambda s: _pending_card(stage, root_ts) is not None or _decided(stage, session_id), timeout=TIMEOUT)
        card = _pending_card(stage, root_ts)
        if card is None:
            break
        await asyncio.gather(*(stage.slack.click(APPROVER, ONCALL, card["ts"], ActionId.APPROVE) for _ in range(clicks)))
        try:
            await stage.agents.wait_for(lambda a: _decided(stage, session_id), timeout=10)
        except TimeoutError:
            continue  # the bot died between ack and send: a person would click again
    return session_id


def settled(stage: Standins, root_ts: str) -> bool:
    """The session ended its turn after a decision and the thread shows every agent message, buttons gone."""
    session_id = _session_of(stage, root_ts)
    if session_id is None or not _ended(stage, session_id):
        return False
    keys = {k for k in map(_key, stage.slack.thread(ONCALL, root_ts)) if k}
    msgs = [e for e in stage.agents.sessions[session_id].events if e["type"] == "agent.message"]
    card = any((k or "").startswith("approval:") for k in keys)
    return card and all(f"message:{e['id']}" in keys for e in msgs) and not _pending_card(stage, root_ts)


async def wait_settled(stage: Standins, session_id: str, root_ts: str) -> None:
    """Wait until the session ended its turn and the thread shows every agent message."""
    await stage.agents.wait_for(lambda a: _ended(stage, session_id), timeout=TIMEOUT)
    await stage.slack.wait_for(lambda s: settled(stage, root_ts), timeout=TIMEOUT)


# --- the bot as a process, for SIGKILL ------------------------------------------------------------------------


class BotProcess:
    """`python -m bot` as a child process, started and killed by the harness."""

    def __init__(self, stage: Standins, log: Path) -> None:
        self.stage = stage
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def exited(self) -> bool:
        return self.proc is not None and self.proc.returncode is not None

    async def start(self) -> None:
        env = child_env(self.stage.settings, PYTHONPATH=str(REPO_ROOT))  # this checkout's bot, whatever is installed
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=str(self.stage.settings.work_dir),
                stdout=out, stderr=out, stdin=asyncio.subprocess.DEVNULL,
            )  # fmt: skip

    async def connected(self, *, timeout: float = 120.0) -> None:
        """Wait until the process answers Socket Mode: a harmless empty /incident gets its usage text. A (re)start
        imports, provisions and resumes first, which takes long under load: only the deadline ends the wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            if self.exited:
                raise RuntimeError(f"the bot exited with {self.proc.returncode if self.proc else None}; see {self.log}")
            try:
                await self.stage.slack.wait_for(lambda s: s.live_connections > 0, timeout=min(left, 1.0))
                usage = await self.stage.slack.slash_command(OTHER, "/incident", "", channel_id=ONCALL, timeout=1.0)
                if usage is not None:
                    return
            except TimeoutError:
                continue  # not connected yet, or the connection went before the envelope could be sent
        raise TimeoutError(f"the bot did not answer over Socket Mode within {timeout:g} s; see {self.log}")

    async def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                await self.kill()


def slack_writes(stage: Standins) -> int:
    return sum(1 for c in stage.slack.calls if c.method in WRITES and c.status == 200)
