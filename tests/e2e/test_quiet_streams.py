"""A session stream that goes quiet (no pings at all) is reopened after the read timeout, and each reopening reads only
the history after the last event the bot has: nothing is lost and nothing comes twice, even when events share a
timestamp."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.demo import DemoWorld, start_world
from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, YOU
from tests.e2e.helpers import block_text, open_incident, sent_events, thread

TIMEOUT = 60
QUIET = 0.4  # the bot's stream read timeout in these worlds: silence this long and it reopens the stream


def _history_reads(agents: ManagedAgentsStandin, session_id: str) -> list[Any]:
    """The bot's reads of the session's history (not its one look for the first message, which asks for a type)."""
    return [r for r in agents.requests if r.method == "GET" and r.path == f"/v1/sessions/{session_id}/events"
            and "types[]" not in r.query and r.status == 200]  # fmt: skip


def _stream_requests(agents: ManagedAgentsStandin, session_id: str) -> list[Any]:
    return [r for r in agents.requests if r.method == "GET" and r.path == f"/v1/sessions/{session_id}/events/stream"]


def _stream_opens(agents: ManagedAgentsStandin, session_id: str) -> int:
    return len(_stream_requests(agents, session_id))


def _when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["processed_at"].replace("Z", "+00:00"))


def _said(world: DemoWorld, root_ts: str, text: str) -> int:
    return sum(text in block_text(m) for m in thread(world, root_ts)[1:])


async def _world(work_dir: Path, agent: Any) -> DemoWorld:
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir,
                              brain=ScriptedBrain(first=agent), stream_read_timeout=QUIET)
    world.agents.ping_interval = None  # streams opened from now on stay silent while nothing happens
    return world


async def test_a_quiet_stream_is_reopened_and_reads_only_the_newer_history(work_dir):
    pauses = [asyncio.Event() for _ in range(3)]

    async def agent(ctx, message):
        for i, pause in enumerate(pauses):
            await ctx.call_tool("get_recent_deploys", {})
            await ctx.say(f"step {i} done")
            await pause.wait()  # the session is running, and its stream says nothing at all
        await ctx.say("all steps done")

    world = await _world(work_dir, agent)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        sid = run.session_id
        for i, pause in enumerate(pauses):
            await world.slack.wait_for(lambda s: _said(world, root_ts, f"step {i} done") >= 1, timeout=TIMEOUT)
            opened = _stream_opens(world.agents, sid)
            await world.agents.wait_for(lambda a: _stream_opens(a, sid) >= opened + 2, timeout=TIMEOUT)  # quiet twice
            pause.set()
        await run.wait_finished(timeout=TIMEOUT)

        first, *again = _history_reads(world.agents, sid)
        assert len(again) >= 6, "the quiet stream was not reopened"
        assert not any(key.startswith("created_at") for key in first.query)  # the first read takes it all
        events, emitted = world.agents.sessions[sid].events, world.agents.sessions[sid].emitted_at
        for read in again:
            assert list(read.query.get("created_at[gte]", [])), f"a reopening read the whole history: {read.query}"
            since = datetime.fromisoformat(read.query["created_at[gte]"][0].replace("Z", "+00:00"))
            opened_at = max(r.at for r in _stream_requests(world.agents, sid) if r.at < read.at)
            had = [e for e in events if emitted[e["id"]] < opened_at]  # what the earlier streams brought
            assert since == max(_when(e) for e in had), "it did not read from the last event it had"
            again_had = [e for e in had if _when(e) >= since]
            assert len(again_had) == 1 < len(had), f"it read {len(again_had)} of the {len(had)} events it had again"
            newer = [e for e in events if emitted[e["id"]] < read.at and _when(e) >= since]
            assert read.response_bytes <= len(json.dumps({"data": newer, "next_page": None})) + 64

        for text in ("step 0 done", "step 1 done", "step 2 done", "all steps done"):
            assert _said(world, root_ts, text) == 1, text
        answered = [e["custom_tool_use_id"] for e in sent_events(world, sid, "user.custom_tool_result")]
        assert len(answered) == len(set(answered)) == 3
    finally:
        await world.stop()


async def test_events_that_share_a_timestamp_survive_stream_cuts(work_dir):
    async def agent(ctx, message):
        for i in range(4):
            await ctx.call_tool("get_recent_deploys", {})
            await ctx.say(f"finding {i}")
        await ctx.say("no more findings")

    world = await _world(work_dir, agent)
    world.agents.coarse_timestamps(10**6)  # every event of this test shares one processed_at
    world.agents.inject_stream_cut(every=2)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_finished(timeout=TIMEOUT)
        assert _stream_opens(world.agents, run.session_id) >= 4
        for text in ("finding 0", "finding 1", "finding 2", "finding 3", "no more findings"):
            assert _said(world, root_ts, text) == 1, text
        answered = [e["custom_tool_use_id"] for e in sent_events(world, run.session_id, "user.custom_tool_result")]
        assert len(answered) == len(set(answered)) == 4
    finally:
        await world.stop()
