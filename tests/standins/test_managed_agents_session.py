"""Sessions on the Managed Agents stand-in: the event stream, turns, custom tools, confirmations, interrupts.

Driven through the real AsyncAnthropic client, with a scripted brain instead of the investigator.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pytest

from standins.managed_agents import AgentContext, ManagedAgentsStandin, ToolAnswer
from standins.managed_agents.testing import ScriptedBrain, ends_turn, read_until, tool_result, user_message


async def default_script(ctx: AgentContext, message: str) -> None:
    await ctx.say(f"Investigating: {message}")
    listing = await ctx.bash("cat /mnt/session/incident/app.log | grep -c OOM")
    text = await ctx.read("/mnt/session/incident/app.log")
    answer = await ctx.call_tool("get_metrics", {"service": "checkout", "metric": "memory"})
    ctx.memory["answer"] = answer
    await ctx.say(f"{listing.strip()} OOM lines; {len(text)} chars; metrics said {answer.text}")


async def echo_script(ctx: AgentContext, message: str) -> None:
    await ctx.say(f"follow-up: {message} (memory={ctx.memory.get('answer')})")


@pytest.fixture
def brain() -> ScriptedBrain:
    return ScriptedBrain(default_script, echo_script)


async def open_session(client: anthropic.AsyncAnthropic, *, policy: str = "always_allow",
                       configs: list[dict[str, Any]] | None = None) -> str:
    """An agent with the built-in toolset and a custom tool, and a session with app.log mounted."""
    agent = await client.beta.agents.create(
        name="incident-bot", model="claude-opus-4-8",
        tools=[{"type": "agent_toolset_20260401", "configs": configs or [],
                "default_config": {"permission_policy": {"type": policy}}},
               {"type": "custom", "name": "get_metrics", "description": "metrics",
                "input_schema": {"type": "object"}}])
    env = await client.beta.environments.create(name="env")
    log = await client.beta.files.upload(file=("app.log", b"ok\nOOMKilled\nOOMKilled\n", "text/plain"))
    session = await client.beta.sessions.create(
        agent=agent.id, environment_id=env.id,
        resources=[{"type": "file", "file_id": log.id, "mount_path": "/mnt/session/incident/app.log"}])
    return session.id


async def test_scripted_turn_in_order_with_custom_tool(client: anthropic.AsyncAnthropic,
                                                       server: ManagedAgentsStandin,
                                                       brain: ScriptedBrain) -> None:
    sid = await open_session(client)
    stream = await client.beta.sessions.events.stream(sid)
    sent = await client.beta.sessions.events.send(sid, events=[user_message("checkout is OOMing")])

    async def answer(ev: Any) -> None:
        if ev.type == "agent.custom_tool_use":
            await client.beta.sessions.events.send(sid, events=[tool_result(ev.id, "rss 3.9Gi/4Gi")])

    seen = await read_until(stream, ends_turn, on_event=answer)
    await stream.close()
    assert [e.type for e in seen] == [
        "user.message", "user.message", "session.status_running",
        "span.model_request_start", "agent.thinking", "agent.message", "span.model_request_end", "session.usage",
        "span.model_request_start", "agent.tool_use", "span.model_request_end", "session.usage", "agent.tool_result",
        "span.model_request_start", "agent.tool_use", "span.model_request_end", "session.usage", "agent.tool_result",
        "span.model_request_start", "agent.custom_tool_use", "span.model_request_end", "session.usage",
        "session.status_idle", "user.custom_tool_result", "session.status_running",
        "span.model_request_start", "agent.message", "span.model_request_end", "session.usage", "session.status_idle"]
    assert seen[0].id == seen[1].id == sent.data[0].id and seen[0].processed_at is None
    assert seen[1].processed_at is not None
    bash_result, read_result = seen[12], seen[17]
    assert bash_result.content[0].text == "2\n" and bash_result.tool_use_id == seen[9].id
    assert seen[9].input == {"command": "cat /mnt/session/incident/app.log | grep -c OOM"}
    assert seen[14].input == {"file_path": "/mnt/session/incident/app.log"} and "OOMKilled" in read_result.content[0].text
    use, idle = seen[19], seen[22]
    assert idle.stop_reason.type == "requires_action" and idle.stop_reason.event_ids == [use.id]
    assert seen[26].content[0].text == "2 OOM lines; 23 chars; metrics said rss 3.9Gi/4Gi"
    assert brain.calls == [("investigate", "checkout is OOMing")]
    assert server.sessions[sid].memory["answer"] == ToolAnswer("rss 3.9Gi/4Gi", False)
    stamps = [e.processed_at for e in seen if e.processed_at is not None]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)

    with pytest.raises(anthropic.BadRequestError, match="already answered"):
        await client.beta.sessions.events.send(sid, events=[tool_result(use.id, "again")])
    with pytest.raises(anthropic.BadRequestError, match="does not name"):
        await client.beta.sessions.events.send(sid, events=[tool_result("sevt_unknown", "x")])
    history = [e.id async for e in client.beta.sessions.events.list(sid)]
    assert history == list(dict.fromkeys(e.id for e in seen))  # the stream, deduped by id

    await client.beta.sessions.events.send(sid, events=[user_message("and now?")])
    await server.wait_for(lambda s: s.sessions[sid].events[-1]["type"] == "session.status_idle"
                          and len(brain.calls) == 2)
    last_message = [e for e in server.sessions[sid].events if e["type"] == "agent.message"][-1]
    assert "follow-up: and now?" in last_message["content"][0]["text"]
    assert "rss 3.9Gi/4Gi" in last_message["content"][0]["text"]  # memory survived the turn


async def test_events_list_pagination_and_filters(client: anthropic.AsyncAnthropic,
                                                  server: ManagedAgentsStandin, brain: ScriptedBrain) -> None:
    brain.first = echo_script
    sid = await open_session(client)
    await client.beta.sessions.events.send(sid, events=[user_message("one")])
    await server.wait_for(lambda s: s.sessions[sid].status == "idle" and len(s.sessions[sid].events) > 3)
    ids = [e["id"] for e in server.sessions[sid].events]
    page = await client.beta.sessions.events.list(sid, limit=3)
    assert [e.id for e in page.data] == ids[:3] and page.next_page
    assert [e.id async for e in client.beta.sessions.events.list(sid, limit=3)] == ids
    assert [e.id async for e in client.beta.sessions.events.list(sid, limit=2, order="desc")] == ids[::-1]
    only = client.beta.sessions.events.list(sid, types=["agent.message", "session.status_idle"])
    assert [e.type async for e in only] == ["agent.message", "session.status_idle"]
    cutoff = server.sessions[sid].events[2]["processed_at"]
    assert [e.id async for e in client.beta.sessions.events.list(sid, created_at_gt=cutoff)] == ids[3:]
    assert [e.id async for e in client.beta.sessions.events.list(sid, created_at_lte=cutoff)] == ids[:3]
    with pytest.raises(anthropic.BadRequestError):
        await client.beta.sessions.events.list(sid, page="page_garbage")


async def test_time_filters_compare_processed_at_so_events_sharing_one_are_all_at_it(
        client: anthropic.AsyncAnthropic, server: ManagedAgentsStandin, brain: ScriptedBrain) -> None:
    brain.first = echo_script
    server.coarse_timestamps(10**6)  # nothing in the API makes processed_at unique
    sid = await open_session(client)
    await client.beta.sessions.events.send(sid, events=[user_message("one")])
    await server.wait_for(lambda s: s.sessions[sid].status == "idle" and len(s.sessions[sid].events) > 3)
    events = server.sessions[sid].events
    [stamp] = {e["processed_at"] for e in events}
    at = (await client.beta.sessions.events.list(sid, limit=1)).data[0].processed_at
    assert [e.id async for e in client.beta.sessions.events.list(sid, created_at_gte=at)] == [e["id"] for e in events]
    assert [e.id async for e in client.beta.sessions.events.list(sid, created_at_gt=stamp)] == []


async def test_message_sent_while_running_is_queued(client: anthropic.AsyncAnthropic,
                                                    server: ManagedAgentsStandin, brain: ScriptedBrain) -> None:
    async def slow(ctx: AgentContext, message: str) -> None:
        await ctx.say("working")
        await brain.release.wait()
        await ctx.say("done")

    brain.first = slow
    sid = await open_session(client)
    stream = await client.beta.sessions.events.stream(sid)
    await client.beta.sessions.events.send(sid, events=[user_message("first")])
    await read_until(stream, lambda ev: ev.type == "agent.message")
    queued = await client.beta.sessions.events.send(sid, events=[user_message("second")])
    assert queued.data[0].processed_at is None
    with pytest.raises(anthropic.BadRequestError, match="running"):
        await client.beta.sessions.archive(sid)
    brain.release.set()
    seen = await read_until(stream, lambda ev: ev.type == "agent.message" and "second" in ev.content[0].text)
    await stream.close()
    types = [e.type for e in seen]
    # The queued echo comes at once, and the turn goes on.
    assert types[:4] == ["span.model_request_end", "session.usage", "user.message", "span.model_request_start"]
    end = types.index("session.status_idle")
    assert seen[end].stop_reason.type == "end_turn"
    assert types[end + 1:end + 3] == ["user.message", "session.status_running"]
    assert seen[end + 1].id == queued.data[0].id and seen[end + 1].processed_at is not None
    assert brain.calls == [("investigate", "first"), ("follow_up", "second")]


async def test_interrupt_cancels_the_running_command(client: anthropic.AsyncAnthropic,
                                                     server: ManagedAgentsStandin, brain: ScriptedBrain) -> None:
    async def stuck(ctx: AgentContext, message: str) -> None:
        await ctx.bash("sleep 30")

    brain.first = stuck
    sid = await open_session(client)
    stream = await client.beta.sessions.events.stream(sid)
    await client.beta.sessions.events.send(sid, events=[user_message("go")])
    await read_until(stream, lambda ev: ev.type == "agent.tool_use")
    sent = await client.beta.sessions.events.send(sid, events=[{"type": "user.interrupt"}])
    seen = await read_until(stream, ends_turn)
    await stream.close()
    assert [e.type for e in seen] == ["span.model_request_end", "session.usage", "user.interrupt", "user.interrupt",
                                      "session.status_idle"]
    assert seen[2].id == seen[3].id == sent.data[0].id and seen[2].processed_at is None
    assert seen[4].stop_reason.type == "end_turn"
    async with asyncio.timeout(5):
        await brain.cancelled.wait()
    assert server.sessions[sid].status == "idle"


@pytest.mark.parametrize("ignored", [False, True])
async def test_an_interrupt_to_a_turn_idle_on_a_tool_result_ends_it_unless_the_switch_ignores_it(
        client: anthropic.AsyncAnthropic, server: ManagedAgentsStandin, brain: ScriptedBrain, ignored: bool) -> None:
    async def asks(ctx: AgentContext, message: str) -> None:
        brain.results.append(await ctx.call_tool("request_approval", {"summary": "restart"}))
        await ctx.say("answered")

    brain.first = asks
    server.ignore_interrupts_while_idle = ignored
    sid = await open_session(client)
    stream = await client.beta.sessions.events.stream(sid)
    await client.beta.sessions.events.send(sid, events=[user_message("go")])
    [use] = [e for e in await read_until(stream, lambda ev: ev.type == "session.status_idle")
             if e.type == "agent.custom_tool_use"]
    await client.beta.sessions.events.send(sid, events=[{"type": "user.interrupt"}])
    if not ignored:
        seen = await read_until(stream, ends_turn)
        assert seen[-1].stop_reason.type == "end_turn" and not brain.results
        await stream.close()
        return
    await read_until(stream, lambda ev: ev.type == "user.interrupt" and ev.processed_at is not None)
    assert server.sessions[sid].status == "idle" and server.sessions[sid].events[-1]["type"] == "user.interrupt"
    await client.beta.sessions.events.send(sid, events=[tool_result(use.id, "rejected")])  # still waiting on it
    seen = await read_until(stream, ends_turn)
    await stream.close()
    assert "session.status_running" in [e.type for e in seen] and brain.results == [ToolAnswer("rejected", False)]


async def test_tool_confirmation_allow_and_deny(client: anthropic.AsyncAnthropic, server: ManagedAgentsStandin,
                                                brain: ScriptedBrain) -> None:
    async def careful(ctx: AgentContext, message: str) -> None:
        brain.results.append(await ctx.bash("echo allowed"))
        brain.results.append(await ctx.bash("rm -rf /mnt/session/incident"))
        brain.results.append(await ctx.read("/mnt/session/incident/app.log"))
        brain.results.append(await ctx.read("/mnt/session/missing.txt"))

    brain.first = careful
    sid = await open_session(client, policy="always_ask",
                             configs=[{"name": "read", "permission_policy": {"type": "always_allow"}}])
    stream = await client.beta.sessions.events.stream(sid)
    await client.beta.sessions.events.send(sid, events=[user_message("go")])
    verdicts = iter([{"result": "allow"}, {"result": "deny", "deny_message": "not on prod"}])
    confirmed: list[str] = []

    async def confirm(ev: Any) -> None:
        if ev.type == "agent.tool_use" and ev.evaluated_permission == "ask":
            confirmed.append(ev.id)
            await client.beta.sessions.events.send(sid, events=[
                {"type": "user.tool_confirmation", "tool_use_id": ev.id, **next(verdicts)}])

    seen = await read_until(stream, ends_turn, on_event=confirm)
    await stream.close()
    assert brain.results[:2] == ["allowed\n", "Permission denied: not on prod"]
    assert "OOMKilled" in brain.results[2] and brain.results[3].startswith("File does not exist")
    uses = [e for e in seen if e.type == "agent.tool_use"]
    assert [u.evaluated_permission for u in uses] == ["ask", "ask", "allow", "allow"]
    idles = [e for e in seen if e.type == "session.status_idle"]
    assert [i.stop_reason.type for i in idles] == ["requires_action", "requires_action", "end_turn"]
    assert [i.stop_reason.event_ids for i in idles[:2]] == [confirmed[:1], confirmed[1:]]
    results = {e.tool_use_id: e for e in seen if e.type == "agent.tool_result"}
    assert results[confirmed[1]].is_error and results[confirmed[1]].content[0].text == "not on prod"
    assert results[uses[3].id].is_error
    assert sum(e.type == "user.tool_confirmation" for e in seen) == 4  # each echoed queued, then processed
    assert await server.sessions[sid].sandbox.read("/mnt/session/incident/app.log") is not None  # rm never ran

    with pytest.raises(anthropic.BadRequestError, match="already answered"):
        await client.beta.sessions.events.send(sid, events=[
            {"type": "user.tool_confirmation", "tool_use_id": confirmed[0], "result": "allow"}])
    with pytest.raises(anthropic.BadRequestError, match="does not name"):
        await client.beta.sessions.events.send(sid, events=[
            {"type": "user.tool_confirmation", "tool_use_id": uses[2].id, "result": "allow"}])
