"""Faults on the Managed Agents stand-in: stream cuts, unknown events, pings, errors, termination, and a check
that every event the server emits parses strictly with the SDK's own models.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import httpx2
import pydantic
import pytest
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent, BetaManagedAgentsStreamSessionEvents

from standins.managed_agents import AgentContext, ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain, ends_turn, read_until, tool_result, user_message

STREAM_EVENTS = pydantic.TypeAdapter(BetaManagedAgentsStreamSessionEvents)
LIST_EVENTS = pydantic.TypeAdapter(BetaManagedAgentsSessionEvent)


async def open_session(client: anthropic.AsyncAnthropic, *, configs: list[dict[str, Any]] | None = None) -> str:
    """An agent with the built-in toolset and a custom tool, and a session with app.log mounted."""
    agent = await client.beta.agents.create(
        name="incident-bot", model="claude-opus-4-8",
        tools=[{"type": "agent_toolset_20260401", "configs": configs or []},
               {"type": "custom", "name": "get_metrics", "description": "metrics",
                "input_schema": {"type": "object"}}])
    env = await client.beta.environments.create(name="env")
    log = await client.beta.files.upload(file=("app.log", b"ok\nOOMKilled\n", "text/plain"))
    session = await client.beta.sessions.create(
        agent=agent.id, environment_id=env.id,
        resources=[{"type": "file", "file_id": log.id, "mount_path": "/mnt/session/incident/app.log"}])
    return session.id


async def full_script(ctx: AgentContext, message: str) -> None:
    await ctx.say(f"Investigating: {message}")
    await ctx.bash("cat /mnt/session/incident/app.log | grep -c OOM")
    await ctx.read("/mnt/session/incident/app.log")
    await ctx.call_tool("get_metrics", {"service": "checkout", "metric": "memory"})


async def test_stream_cut_is_abrupt_and_a_reconnect_recovers(client: anthropic.AsyncAnthropic,
                                                             server: ManagedAgentsStandin,
                                                             brain: ScriptedBrain) -> None:
    sid = await open_session(client)
    server.inject_stream_cut(every=2)
    stream = await client.beta.sessions.events.stream(sid)
    await client.beta.sessions.events.send(sid, events=[user_message("hello")])
    received = []
    # anthropic 2.10 lets httpx2's own error through; newer releases (2.17) wrap it in APIConnectionError.
    with pytest.raises((httpx2.HTTPError, anthropic.APIConnectionError)) as cut:
        async with asyncio.timeout(5):
            async for ev in stream:
                received.append(ev.id)
    raw = cut.value if isinstance(cut.value, httpx2.HTTPError) else cut.value.__cause__
    assert isinstance(raw, httpx2.RemoteProtocolError) and len(received) == 2
    server.inject_stream_cut(None)
    # The careful client: open the stream, then list history, then dedupe by id.
    stream = await client.beta.sessions.events.stream(sid)
    seen = {e.id: e async for e in client.beta.sessions.events.list(sid)}
    if not any(ends_turn(e) for e in seen.values()):
        for ev in await read_until(stream, ends_turn):
            seen.setdefault(ev.id, ev)
    await stream.close()
    assert [e.id for e in seen.values()] == [e["id"] for e in server.sessions[sid].events]


async def test_unknown_event_type_and_pings(brain: ScriptedBrain) -> None:
    server = ManagedAgentsStandin(brain=brain, ping_interval=0.05)
    await server.start()
    client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="sk-test", max_retries=0)
    try:
        sid = await open_session(client)
        async with client.beta.sessions.events.with_streaming_response.stream(sid) as raw:
            lines = raw.iter_lines()
            assert await anext(lines) == "event: ping"  # nothing happened, so the first frame is a ping
        stream = await client.beta.sessions.events.stream(sid)
        await server.wait_for(lambda s: s.sessions[sid].stream_count == 1)
        stored = server.emit(sid, {"type": "agent.brand_new_thing", "detail": {"x": 1}})
        async with asyncio.timeout(5):
            ev = await anext(aiter(stream))
        await stream.close()
        assert (ev.type, ev.id) == ("agent.brand_new_thing", stored["id"])
        listed = [e async for e in client.beta.sessions.events.list(sid)]
        assert [e.type for e in listed] == ["agent.brand_new_thing"]
    finally:
        await client.close()
        await server.stop()


async def test_brain_failure_faults_and_deletion(client: anthropic.AsyncAnthropic, server: ManagedAgentsStandin,
                                                 brain: ScriptedBrain) -> None:
    async def broken(ctx: AgentContext, message: str) -> None:
        await ctx.say("about to fail")
        raise RuntimeError("brain bug")

    brain.first = broken
    sid = await open_session(client)
    stream = await client.beta.sessions.events.stream(sid)
    await client.beta.sessions.events.send(sid, events=[user_message("go")])
    seen = await read_until(stream, ends_turn)
    error, idle = seen[-2], seen[-1]
    assert error.type == "session.error" and error.error.type == "unknown_error"
    assert error.error.retry_status.type == "exhausted" and "brain bug" in error.error.message
    assert idle.stop_reason.type == "retries_exhausted"

    await server.reschedule(sid)
    server.error(sid, "retrying")
    idles = 0

    def second_idle(ev: Any) -> bool:
        nonlocal idles
        idles += ev.type == "session.status_idle"
        return idles == 2

    seen = await read_until(stream, second_idle)
    assert [e.type for e in seen] == ["session.status_rescheduled", "session.status_running",
                                      "session.status_idle", "session.error", "session.status_rescheduled",
                                      "session.status_running", "session.status_idle"]
    await server.terminate(sid)
    assert (await read_until(stream, lambda ev: True))[0].type == "session.status_terminated"
    assert (await client.beta.sessions.retrieve(sid)).status == "terminated"
    with pytest.raises(anthropic.BadRequestError, match="terminated"):
        await client.beta.sessions.events.send(sid, events=[user_message("hello?")])

    await client.beta.sessions.delete(sid)
    tail = [ev async for ev in stream]  # a clean close ends iteration quietly
    assert [e.type for e in tail] == ["session.deleted"]


async def test_wait_for_timeout_explains_itself(server: ManagedAgentsStandin) -> None:
    with pytest.raises(TimeoutError, match="never_true"):
        await server.wait_for(lambda s: s.requests and "never_true", timeout=0.05)


async def test_every_emitted_event_matches_the_sdk_models(client: anthropic.AsyncAnthropic,
                                                          server: ManagedAgentsStandin,
                                                          brain: ScriptedBrain) -> None:
    async def everything(ctx: AgentContext, message: str) -> None:
        await full_script(ctx, message)  # its read is refused: the agent has `read` disabled
        await ctx.bash("echo asked")
        await ctx.say("waiting")
        await brain.release.wait()

    async def fails_later(ctx: AgentContext, message: str) -> None:
        if message == "read again":
            await ctx.read("/mnt/session/incident/app.log")
            return
        await ctx.say(f"follow-up: {message}")
        raise RuntimeError("late failure")

    brain.first, brain.later = everything, fails_later
    sid = await open_session(client, configs=[{"name": "bash", "permission_policy": {"type": "always_ask"}},
                                              {"name": "read", "enabled": False}])
    stream = await client.beta.sessions.events.stream(sid)
    raw_sends: list[bytes] = []

    async def send(events: list[dict[str, Any]]) -> None:
        raw = await client.beta.sessions.events.with_raw_response.send(sid, events=events)
        raw_sends.append(raw.http_response.content)

    async def react(ev: Any) -> None:
        if ev.type == "agent.custom_tool_use":
            await send([tool_result(ev.id, "42")])
        elif ev.type == "agent.tool_use" and ev.evaluated_permission == "ask":
            verdict = "allow" if ev.input["command"].startswith("cat") else "deny"
            await send([{"type": "user.tool_confirmation", "tool_use_id": ev.id, "result": verdict}])

    await send([user_message("go")])
    await read_until(stream, lambda ev: ev.type == "agent.message" and ev.content[0].text == "waiting",
                     on_event=react)
    await send([user_message("queued while running"), {"type": "user.interrupt"}])
    await read_until(stream, lambda ev: ends_turn(ev) and ev.stop_reason.type == "retries_exhausted")
    await client.beta.sessions.update(sid, agent={"tools": [{"type": "agent_toolset_20260401"}]})
    await send([user_message("read again")])
    await read_until(stream, ends_turn)
    server.error(sid, "retrying", error_type="model_overloaded_error", message="overloaded")
    await server.reschedule(sid)
    server.emit(sid, {"type": "agent.message", "content": [{"type": "text", "text": "injected"}]})
    await server.terminate(sid)
    await client.beta.sessions.delete(sid)
    await stream.close()

    events = server.sessions[sid].events
    echoes = [e for body in raw_sends for e in json.loads(body)["data"]]
    assert any(e["processed_at"] is None for e in echoes)
    assert {e["type"] for e in events} >= {
        "user.message", "user.custom_tool_result", "user.tool_confirmation", "user.interrupt",
        "agent.thinking", "agent.message", "agent.tool_use", "agent.tool_result", "agent.custom_tool_use",
        "span.model_request_start", "span.model_request_end", "session.error", "session.status_running",
        "session.status_idle", "session.status_rescheduled", "session.status_terminated", "session.deleted"}
    assert {e.get("evaluated_permission") for e in events if e["type"] == "agent.tool_use"} == {"allow", "ask", "deny"}
    for event in [*events, *echoes]:
        wire = json.dumps(event)
        for adapter in (STREAM_EVENTS, LIST_EVENTS):
            assert adapter.validate_python(event).type == event["type"]
            assert adapter.validate_json(wire, strict=True).type == event["type"]


async def test_initial_events_and_clean_close_on_stop(brain: ScriptedBrain) -> None:
    server = ManagedAgentsStandin(brain=brain)
    await server.start()
    client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="sk-test", max_retries=0)
    try:
        agent = await client.beta.agents.create(name="a", model="claude-opus-4-8")
        env = await client.beta.environments.create(name="env")
        upload = await client.beta.files.upload(file=("x.txt", b"x", "text/plain"))
        with pytest.raises(anthropic.BadRequestError, match="/mnt/session"):
            await client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[
                {"type": "file", "file_id": upload.id, "mount_path": "/etc/x.txt"}])
        session = await client.beta.sessions.create(agent=agent.id, environment_id=env.id,
                                                    initial_events=[user_message("from the start")])
        await server.wait_for(lambda s: s.sessions[session.id].events[-1]["type"] == "session.status_idle")
        assert brain.calls == [("investigate", "from the start")]
        stream = await client.beta.sessions.events.stream(session.id)
        await server.wait_for(lambda s: s.sessions[session.id].stream_count == 1)
        await server.stop()
        assert [ev async for ev in stream] == []  # the server going away closes streams cleanly
    finally:
        await client.close()
        await server.stop()
