"""The fault scenarios: each runs whole incidents under one kind of fault and returns what it counted."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from blocks.ids import ActionId
from bot.demo import Standins, start_standins, start_world

from tests.faults.harness import (
    ALERTS,
    APPROVER,
    OOM,
    ONCALL,
    OTHER,
    BotProcess,
    Outcome,
    approve_when_asked,
    examine,
    open_incident,
    settled,
    slack_writes,
    wait_settled,
    _pending_card,
    _session_of,
)

Scenario = Callable[[Path], Awaitable[list[Outcome]]]


async def _one_incident(stage: Standins, *, clicks: int = 1) -> Outcome:
    root_ts = await open_incident(stage)
    session_id = await approve_when_asked(stage, root_ts, clicks=clicks)
    await wait_settled(stage, session_id, root_ts)
    return examine(stage, session_id, root_ts)


async def stream_cuts(tmp: Path) -> list[Outcome]:
    """The SSE stream is cut abruptly every N frames; the bot reconnects and reconciles from history."""
    outcomes = []
    for every in (2, 3, 5):
        stage = await start_world(incident_dir=OOM, work_dir=tmp / f"cut{every}")
        try:
            stage.agents.inject_stream_cut(every=every)
            out = await _one_incident(stage)
            out.faults = sum(1 for r in stage.agents.requests if r.path.endswith("/events/stream")) - 1
            outcomes.append(out)
        finally:
            await stage.stop()
    return outcomes


async def sigkill(tmp: Path, *, points: int = 20) -> list[Outcome]:
    """`kill -9` of a real `python -m bot` at many points of an incident (before and after the click), then a
    fresh start. The points are spread over the Slack writes a clean run makes."""
    calib = await start_standins(incident_dir=OOM, work_dir=tmp / "calibrate")
    proc = BotProcess(calib, tmp / "calibrate.log")
    try:
        await proc.start()
        await proc.connected()
        base = slack_writes(calib)
        root_ts = await open_incident(calib)
        await calib.slack.wait_for(lambda s: _pending_card(calib, root_ts) is not None, timeout=60)
        before_click = slack_writes(calib) - base
        session_id = await approve_when_asked(calib, root_ts)
        await wait_settled(calib, session_id, root_ts)
        total = slack_writes(calib) - base
    finally:
        await proc.stop()
        await calib.stop()
    kill_at = sorted({1 + round(i * (total - 2) / (points - 1)) for i in range(points)})
    outcomes = []
    for i, k in enumerate(kill_at):
        stage = await start_standins(incident_dir=OOM, work_dir=tmp / f"kill{i}")
        proc = BotProcess(stage, tmp / f"kill{i}.log")
        try:
            await proc.start()
            await proc.connected()
            base = slack_writes(stage)
            root_ts = await open_incident(stage)
            if k > before_click:  # this point comes after the human decided
                await stage.slack.wait_for(lambda s: _pending_card(stage, root_ts) is not None, timeout=60)
                await stage.slack.click(APPROVER, ONCALL, _pending_card(stage, root_ts)["ts"], ActionId.APPROVE)
            # Coalescing makes the count vary from run to run: a run that reaches the card (before the click) or
            # its end in fewer writes than the calibration run is killed there.
            def reached(s: object) -> bool:
                if slack_writes(stage) - base >= k:
                    return True
                held = k <= before_click and _pending_card(stage, root_ts) is not None
                return held or settled(stage, root_ts)

            await stage.slack.wait_for(reached, timeout=60)
            killed_at = slack_writes(stage) - base
            await proc.kill()
            await proc.start()
            await proc.connected()
            session_id = await approve_when_asked(stage, root_ts)
            await wait_settled(stage, session_id, root_ts)
            out = examine(stage, session_id, root_ts)
            out.faults = 1
            out.notes.append(f"killed after Slack write {killed_at} of {total} ({'after' if k > before_click else 'before'} the click)")
            outcomes.append(out)
        finally:
            await proc.stop()
            await stage.stop()
    return outcomes


async def slack_429s(tmp: Path) -> list[Outcome]:
    """Slack answers a burst of 429s (Retry-After: 1) to posts and updates."""
    stage = await start_world(incident_dir=OOM, work_dir=tmp / "429")
    try:
        stage.slack.fail_next("chat.postMessage", status=429, retry_after=1, count=4)
        stage.slack.fail_next("chat.update", status=429, retry_after=1, count=3)
        out = await _one_incident(stage)
        out.faults = sum(1 for c in stage.slack.calls if c.status == 429)
        return [out]
    finally:
        await stage.stop()


async def redelivery(tmp: Path) -> list[Outcome]:
    """Socket Mode delivers the alert's message event twice, and every click twice."""
    stage = await start_world(incident_dir=OOM, work_dir=tmp / "redeliver")
    try:
        await stage.slack.post_message(OTHER, ALERTS, "checkout pods OOMKilled in prod (exit code 137)")
        envelope = next(e for e in reversed(stage.slack.envelopes) if e.get("type") == "events_api")
        await stage.slack.deliver_event(envelope["payload"], retry_attempt=1, retry_reason="timeout")
        await stage.slack.wait_for(lambda s: len(s.messages(ONCALL)) >= 1, timeout=60)
        root_ts = stage.slack.messages(ONCALL)[0]["ts"]
        session_id = await approve_when_asked(stage, root_ts, clicks=2)
        await wait_settled(stage, session_id, root_ts)
        out = examine(stage, session_id, root_ts)
        out.faults = 2
        roots = [m for m in stage.slack.messages(ONCALL) if m.get("subtype") != "thread_broadcast"]
        extra = len(roots) - 1
        out.duplicated += extra
        if extra:
            out.notes.append(f"{extra} extra incidents opened by a redelivered alert")
        return [out]
    finally:
        await stage.stop()


async def racing_clicks(tmp: Path) -> list[Outcome]:
    """Six clicks race on one card: approvers approving and rejecting, and a non-approver."""
    stage = await start_world(incident_dir=OOM, work_dir=tmp / "race")
    try:
        root_ts = await open_incident(stage)
        await stage.slack.wait_for(lambda s: _pending_card(stage, root_ts) is not None, timeout=60)
        card = _pending_card(stage, root_ts)
        clicks = [(APPROVER, ActionId.APPROVE)] * 3 + [(APPROVER, ActionId.REJECT)] * 2 + [(OTHER, ActionId.APPROVE)]
        await asyncio.gather(*(stage.slack.click(u, ONCALL, card["ts"], a) for u, a in clicks))
        session_id = _session_of(stage, root_ts)
        await wait_settled(stage, session_id, root_ts)
        out = examine(stage, session_id, root_ts)
        out.faults = len(clicks) - 1
        return [out]
    finally:
        await stage.stop()


SCENARIOS: dict[str, Scenario] = {
    "stream cut every N events": stream_cuts,
    "SIGKILL and restart": sigkill,
    "Slack 429 burst": slack_429s,
    "envelopes delivered twice": redelivery,
    "clicks race": racing_clicks,
}


async def run_all(names: list[str] | None = None) -> dict[str, list[Outcome]]:
    """Run the scenarios (all by default) in temporary folders."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="incident-bot-faults-") as tmp:
        for name, scenario in SCENARIOS.items():
            if names and name not in names:
                continue
            results[name] = await scenario(Path(tmp) / name.replace(" ", "-"))
    return results
