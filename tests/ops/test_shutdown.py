"""SIGTERM to a real `python -m bot` in the middle of an incident: it stops taking envelopes first, finishes the
Slack writes it started, exits 0 within SHUTDOWN_GRACE, and a restarted bot carries on with nothing lost."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path

import pytest

from bot.demo import ONCALL, Standins, start_standins

from tests.faults.harness import (
    OOM, BotProcess, _key, _pending_card, _session_of, approve_when_asked, examine, open_incident, wait_settled,
)
from tests.ops.probes import probe, scrape, value

pytestmark = pytest.mark.slow

GRACE = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _asking(stage: Standins, session_id: str) -> bool:
    """The agent has asked for approval and waits for a person: nothing more comes until someone decides."""
    events = stage.agents.sessions[session_id].events
    asked = any(e["type"] == "agent.custom_tool_use" and e["name"] == "request_approval" for e in events)
    last = events[-1] if events else {}
    return asked and last.get("type") == "session.status_idle"


async def _until_folded(port: int, stage: Standins, session_id: str, *, within: float = 60.0) -> int:
    """Scrape the bot until it has folded in every event of the session (as Prometheus would, every moment)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        history = len(stage.agents.sessions[session_id].events)
        if value(await scrape(port), "incident_bot_events_processed_total", source="session") >= history:
            return history
        await asyncio.sleep(0.1)  # the scrape interval
    raise TimeoutError("the bot did not fold the session's events in")


async def _mid_incident(stage: Standins, proc: BotProcess, port: int) -> tuple[str, str]:
    """Start the bot, open an incident, and wait until the agent waits for approval and the bot has read it all."""
    await proc.start()
    await proc.connected()
    root_ts = await open_incident(stage)
    await stage.agents.wait_for(lambda a: _session_of(stage, root_ts) is not None, timeout=60)
    session_id = _session_of(stage, root_ts)
    assert session_id
    await stage.agents.wait_for(lambda a: _asking(stage, session_id), timeout=60)
    await _until_folded(port, stage, session_id)
    return root_ts, session_id


def _shown_messages(stage: Standins, session_id: str, root_ts: str) -> tuple[int, int]:
    """(agent messages in the session, those the thread shows)."""
    keys = {_key(m) for m in stage.slack.thread(ONCALL, root_ts)}
    said = [e["id"] for e in stage.agents.sessions[session_id].events if e["type"] == "agent.message"]
    return len(said), sum(1 for i in said if f"message:{i}" in keys)


async def test_sigterm_mid_incident_finishes_the_started_writes_and_exits_0(tmp_path: Path) -> None:
    port = _free_port()
    # Two posts a second: when the agent stops to wait for approval, the thread is seconds behind.
    stage = await start_standins(incident_dir=OOM, work_dir=tmp_path / "work", posts_per_second=2.0,
                                 health_port=port, shutdown_grace=GRACE, log_format="json")  # fmt: skip
    proc = BotProcess(stage, tmp_path / "bot.log")
    try:
        root_ts, session_id = await _mid_incident(stage, proc, port)
        said, shown = _shown_messages(stage, session_id, root_ts)
        assert shown < said and _pending_card(stage, root_ts) is None, "no writes left to finish: nothing tested"

        assert proc.proc is not None
        sent = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        # The Socket Mode connection goes first (Slack sends new envelopes elsewhere) while the writes go on.
        await stage.slack.wait_for(lambda s: s.live_connections == 0, timeout=10)
        assert not proc.exited and _pending_card(stage, root_ts) is None
        status, body = await probe(port, "/readyz")
        assert status == 503 and body["checks"]["accepting"]["ok"] is False

        code = await asyncio.wait_for(proc.proc.wait(), GRACE + 10)
        took = time.monotonic() - sent
        assert code == 0 and took < GRACE, (code, took)
        said, shown = _shown_messages(stage, session_id, root_ts)
        assert shown == said, f"{said - shown} of {said} agent messages the bot had read never reached Slack"
        assert _pending_card(stage, root_ts) is not None, "the approval card the bot had read never reached Slack"

        lines = (tmp_path / "bot.log").read_text().splitlines()
        records = [json.loads(line) for line in lines]  # LOG_FORMAT=json: every line one JSON object
        assert records and all({"time", "level", "logger", "session", "message"} <= r.keys() for r in records)

        again = BotProcess(stage, tmp_path / "bot-again.log")
        try:
            await again.start()
            await again.connected()
            assert await approve_when_asked(stage, root_ts) == session_id
            await wait_settled(stage, session_id, root_ts)
        finally:
            await again.stop()
        out = examine(stage, session_id, root_ts)
        assert out.clean, out
    finally:
        await proc.stop()
        await stage.stop()


async def test_sigterm_exits_within_the_grace_even_when_slack_holds_the_writes_back(tmp_path: Path) -> None:
    port, grace = _free_port(), 3.0
    stage = await start_standins(incident_dir=OOM, work_dir=tmp_path / "work", posts_per_second=2.0,
                                 health_port=port, shutdown_grace=grace)  # fmt: skip
    proc = BotProcess(stage, tmp_path / "bot.log")
    try:
        root_ts, session_id = await _mid_incident(stage, proc, port)
        # Slack rate-limits the next post and update for half a minute: the drain cannot finish in time.
        stage.slack.fail_next("chat.postMessage", status=429, retry_after=30)
        stage.slack.fail_next("chat.update", status=429, retry_after=30)
        await stage.slack.wait_for(lambda s: any(c.status == 429 for c in s.calls), timeout=30)

        assert proc.proc is not None
        sent = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.proc.wait(), grace + 15)
        took = time.monotonic() - sent
        assert code == 0 and took < grace + 1.5, (code, took)

        again = BotProcess(stage, tmp_path / "bot-again.log")
        try:
            await again.start()
            await again.connected()
            assert await approve_when_asked(stage, root_ts) == session_id
            await wait_settled(stage, session_id, root_ts)
        finally:
            await again.stop()
        out = examine(stage, session_id, root_ts)
        assert out.clean, out
    finally:
        await proc.stop()
        await stage.stop()


async def test_sigterm_while_starting_stops_the_start_and_exits_0_at_once(tmp_path: Path) -> None:
    port = _free_port()
    stage = await start_standins(incident_dir=OOM, work_dir=tmp_path / "work", health_port=port, shutdown_grace=GRACE)
    # Slack holds the Socket Mode connection back for half a minute (Tier 1 limit on apps.connections.open).
    stage.slack.fail_next("apps.connections.open", status=429, retry_after=30)
    proc = BotProcess(stage, tmp_path / "bot.log")
    try:
        await proc.start()
        await stage.slack.wait_for(
            lambda s: any(c.method == "apps.connections.open" and c.status == 429 for c in s.calls), timeout=60)
        assert proc.proc is not None
        sent = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)  # a rollout replaced the pod before it ever connected
        code = await asyncio.wait_for(proc.proc.wait(), 60)
        took = time.monotonic() - sent
        assert code == 0 and took < 5, (code, took)
    finally:
        await proc.stop()
        await stage.stop()
