"""The session follower: the stream is open before history is read, every event reaches the run once (history and
stream overlap; a reconnect reads history again), and a cut, a server error or a deleted session is survived or
reported. Against the Managed Agents stand-in and its fault injection, through the real SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pydantic
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

from bot.run.follower import SeenEvents, follow_session
from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain

from tests.support.standins import open_session

TIMEOUT = 30
STREAM = r"/v1/sessions/[^/]+/events/stream"
SAID = ["one", "two", "three", "four", "five"]


class Follower:
    """What a run gives follow_session: it records every delivery and folds each event once."""

    def __init__(self, client: anthropic.AsyncAnthropic, session_id: str, *, last_words: str = SAID[-1]) -> None:
        self.client, self.session_id, self.last_words = client, session_id, last_words
        self.seen = SeenEvents()
        self.delivered: list[Any] = []
        self.folded: list[Any] = []
        self.live = asyncio.Event()
        self.order: list[str] = []

    async def on_event(self, ev: Any) -> None:
        self.delivered.append(ev)
        if self.seen.first_time(ev):
            self.folded.append(ev)

    async def on_live(self) -> None:
        self.order.append("live")
        self.live.set()

    async def send_first(self) -> None:
        self.order.append("first message")
        await self.client.beta.sessions.events.send(
            self.session_id, events=[{"type": "user.message", "content": [{"type": "text", "text": "go"}]}])

    def finished(self) -> bool:
        said = [e for e in self.folded if e.type == "agent.message" and e.content[0].text == self.last_words]
        return bool(said) and self.folded[-1].type == "session.status_idle" and self.folded[-1].stop_reason.type == "end_turn"

    async def follow(self) -> str:
        return await follow_session(self.client, self.session_id, on_event=self.on_event, on_live=self.on_live,
                                    finished=self.finished, before_history=self.send_first)  # fmt: skip


def _say(words: list[str], *, wait: asyncio.Event | None = None):
    async def script(ctx, message):
        await ctx.say(words[0])
        if wait is not None:
            await wait.wait()
        for word in words[1:]:
            await ctx.say(word)

    return script


def _each_once(agents: ManagedAgentsStandin, session_id: str, folded: list[Any]) -> None:
    """Every event of the session was folded, and none twice (a user event counts queued, then processed)."""
    keys = [(e.id, e.processed_at is None) for e in folded]
    assert len(keys) == len(set(keys)), keys
    last = {e.id: e for e in folded}
    assert all(e.processed_at is not None for e in last.values() if e.type.startswith("user."))  # no stale echo last
    assert {e["id"] for e in agents.sessions[session_id].events} <= {e.id for e in folded}
    assert all(isinstance(e, pydantic.BaseModel) for e in folded)  # the SDK's typed events, never dicts


async def test_the_stream_opens_before_history_is_read_so_nothing_falls_between(
    agents: ManagedAgentsStandin, brain: ScriptedBrain, client: anthropic.AsyncAnthropic
) -> None:
    brain.first = _say(SAID, wait=brain.release)
    session_id = await open_session(client)
    follower = Follower(client, session_id)
    task = asyncio.create_task(follower.follow())
    await asyncio.wait_for(follower.live.wait(), TIMEOUT)

    paths = [(r.method, r.path) for r in agents.requests if session_id in r.path]
    stream = paths.index(("GET", f"/v1/sessions/{session_id}/events/stream"))
    first = paths.index(("POST", f"/v1/sessions/{session_id}/events"))
    history = paths.index(("GET", f"/v1/sessions/{session_id}/events"))
    assert stream < first < history and follower.order == ["first message", "live"]

    brain.release.set()  # the rest comes over the stream only
    assert await asyncio.wait_for(task, TIMEOUT) == "finished"
    _each_once(agents, session_id, follower.folded)
    assert [e.content[0].text for e in follower.folded if e.type == "agent.message"] == SAID


async def test_a_cut_stream_reconnects_and_each_event_still_comes_once(
    agents: ManagedAgentsStandin, brain: ScriptedBrain, client: anthropic.AsyncAnthropic
) -> None:
    brain.first = _say(SAID, wait=brain.release)
    agents.inject_stream_cut(every=3)
    session_id = await open_session(client)
    follower = Follower(client, session_id)
    task = asyncio.create_task(follower.follow())
    await asyncio.wait_for(follower.live.wait(), TIMEOUT)
    brain.release.set()  # what follows comes over streams that are cut every three frames
    assert await asyncio.wait_for(task, TIMEOUT) == "finished"

    streams = [r for r in agents.requests if r.method == "GET" and r.path.endswith(f"{session_id}/events/stream")]
    assert len(streams) > 1  # it really reconnected
    assert len(follower.delivered) > len(follower.folded)  # history read again after each cut: the run dedupes
    _each_once(agents, session_id, follower.folded)
    assert [e.content[0].text for e in follower.folded if e.type == "agent.message"] == SAID
    assert sum(1 for e in follower.folded if e.type == "user.message" and e.processed_at is not None) == 1


async def test_server_errors_are_waited_out_but_a_client_error_ends_following(
    agents: ManagedAgentsStandin, brain: ScriptedBrain, client: anthropic.AsyncAnthropic
) -> None:
    brain.first = _say(SAID)
    session_id = await open_session(client)
    agents.fail_next("GET", STREAM, 503, count=2)
    follower = Follower(client, session_id)
    assert await asyncio.wait_for(follower.follow(), TIMEOUT) == "finished"
    statuses = [r.status for r in agents.requests if r.method == "GET" and r.path.endswith("/events/stream")]
    assert statuses[:2] == [503, 503] and len(statuses) == 3
    _each_once(agents, session_id, follower.folded)

    agents.fail_next("GET", STREAM, 403)
    assert await asyncio.wait_for(Follower(client, session_id).follow(), TIMEOUT) == "failed"


async def test_a_deleted_session_ends_following_with_session_deleted(
    agents: ManagedAgentsStandin, brain: ScriptedBrain, client: anthropic.AsyncAnthropic
) -> None:
    brain.first = _say(SAID, wait=brain.release)
    session_id = await open_session(client)
    follower = Follower(client, session_id)
    task = asyncio.create_task(follower.follow())
    await asyncio.wait_for(follower.live.wait(), TIMEOUT)
    await client.beta.sessions.delete(session_id)
    assert await asyncio.wait_for(task, TIMEOUT) == "deleted"
    last = follower.folded[-1]
    assert (last.type, last.id) == ("session.deleted", f"local-deleted-{session_id}")


def test_a_user_event_counts_queued_then_processed_but_a_late_queued_echo_not() -> None:
    adapter = pydantic.TypeAdapter(BetaManagedAgentsSessionEvent)
    wire = {"id": "sevt_1", "type": "user.message", "content": [{"type": "text", "text": "hi"}]}
    queued = adapter.validate_python({**wire, "processed_at": None})
    processed = adapter.validate_python({**wire, "processed_at": "2026-11-23T03:00:00Z"})
    seen = SeenEvents()
    assert [seen.first_time(e) for e in (queued, processed, queued, processed)] == [True, True, False, False]
    later = SeenEvents()
    assert [later.first_time(e) for e in (processed, queued)] == [True, False]  # history first: the echo is stale
