"""Exactly-once sending: an answer reaches the session once, whatever fails on the way, and a second answer to the
same call is never taken for ours. Against the Managed Agents stand-in and its injected failures."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from bot.agents.sending import send_once
from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain

from tests.support.standins import open_session

EVENTS = r"/v1/sessions/[^/]+/events"


def _result(call_id: str, text: str, *, is_error: bool = False) -> dict[str, Any]:
    return {"type": "user.custom_tool_result", "custom_tool_use_id": call_id,
            "content": [{"type": "text", "text": text}], "is_error": is_error}  # fmt: skip


def _answers(agents: ManagedAgentsStandin, session_id: str, call_id: str) -> list[dict[str, Any]]:
    return [e for e in agents.sessions[session_id].events
            if e["type"] == "user.custom_tool_result" and e["custom_tool_use_id"] == call_id]  # fmt: skip


@pytest.fixture
async def waiting_call(agents: ManagedAgentsStandin, brain: ScriptedBrain, client: anthropic.AsyncAnthropic):
    """A session whose agent waits on a get_metrics call; yields (session id, call id, what the agent was told)."""
    told: list[Any] = []

    async def ask(ctx, message):
        told.append(await ctx.call_tool("get_metrics", {"service": "checkout", "metric": "memory"}))

    brain.first = ask
    session_id = await open_session(client)
    await client.beta.sessions.events.send(session_id, events=[{"type": "user.message",
                                                                "content": [{"type": "text", "text": "go"}]}])  # fmt: skip

    def asked() -> bool:
        return any(e["type"] == "agent.custom_tool_use" for e in agents.sessions[session_id].events)

    await agents.wait_for(lambda a: asked(), timeout=10)
    [call] = [e for e in agents.sessions[session_id].events if e["type"] == "agent.custom_tool_use"]
    return session_id, call["id"], told


async def test_server_errors_are_retried_until_the_answer_lands_once(agents, client, waiting_call) -> None:
    session_id, call_id, told = waiting_call
    agents.fail_next("POST", EVENTS, 500, count=2)
    agents.fail_next("POST", EVENTS, 429, count=1, retry_after=0)
    assert await send_once(client, session_id, _result(call_id, '{"points": []}'), answered_key=("custom_tool_use_id", call_id))
    assert len(_answers(agents, session_id, call_id)) == 1
    await agents.wait_for(lambda a: bool(told), timeout=10)
    assert told[0].text == '{"points": []}'
    posts = [r for r in agents.requests if r.method == "POST" and r.path.endswith("/events")]
    assert [r.status for r in posts][-4:] == [500, 500, 429, 200]


async def test_an_earlier_try_that_landed_counts_as_ours(agents, client, waiting_call) -> None:
    session_id, call_id, _ = waiting_call
    ours = _result(call_id, '{"points": []}')
    await client.beta.sessions.events.send(session_id, events=[ours])  # it landed; its response was lost
    assert await send_once(client, session_id, ours, answered_key=("custom_tool_use_id", call_id))
    assert len(_answers(agents, session_id, call_id)) == 1


async def test_someone_elses_answer_is_not_taken_for_ours(agents, client, waiting_call) -> None:
    session_id, call_id, _ = waiting_call
    await client.beta.sessions.events.send(session_id, events=[_result(call_id, '{"decision": "rejected"}')])
    theirs_first = await send_once(client, session_id, _result(call_id, '{"decision": "approved"}'),
                                   answered_key=("custom_tool_use_id", call_id))  # fmt: skip
    assert theirs_first is False
    [answer] = _answers(agents, session_id, call_id)
    assert "rejected" in answer["content"][0]["text"]


async def test_a_refusal_that_no_answer_explains_is_raised(agents, client, waiting_call) -> None:
    session_id, _, _ = waiting_call
    with pytest.raises(anthropic.BadRequestError):
        await send_once(client, session_id, _result("sevt_no_such_call", "{}"), answered_key=("custom_tool_use_id", "x"))


async def test_a_client_error_is_not_retried(agents, client, waiting_call) -> None:
    session_id, call_id, _ = waiting_call
    agents.fail_next("POST", EVENTS, 403)
    with pytest.raises(anthropic.PermissionDeniedError):
        await send_once(client, session_id, _result(call_id, "{}"), answered_key=("custom_tool_use_id", call_id))
    assert not _answers(agents, session_id, call_id)


async def test_it_gives_up_after_its_attempts_and_sent_nothing(agents, client, waiting_call) -> None:
    session_id, call_id, _ = waiting_call
    agents.fail_next("POST", EVENTS, 529, count=2)
    with pytest.raises(anthropic.APIStatusError):
        await send_once(client, session_id, _result(call_id, "{}"), answered_key=("custom_tool_use_id", call_id),
                        attempts=2)  # fmt: skip
    assert not _answers(agents, session_id, call_id)
