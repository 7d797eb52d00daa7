"""One malformed event cannot stop an incident: hostile custom tool input, live and after a restart."""

from __future__ import annotations

import json
import logging
from typing import Any

import pydantic
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

from bot.app import build_bot
from bot.demo import start_world
from standins.managed_agents.testing import ScriptedBrain

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, find_card, open_incident, thread
from blocks.ids import ActionId

TIMEOUT = 60
LIST_EVENTS = pydantic.TypeAdapter(BetaManagedAgentsSessionEvent)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


# Custom tool input is whatever JSON the model wrote. 1e999 is a JSON number no float holds (the SDK reads it as
# infinity); a string of 5,000 digits is more than Python's int() takes.
HOSTILE_PR_NUMBERS: list[Any] = [
    1e999, -1e999, True, False, 1.5, 0, -1, 10**400, "1e999", "9" * 5000, "3; rm -rf /", {"n": 1}, [1], nested(20),
]
TOO_DEEP = nested(300)  # valid JSON, deeper than the SDK's models serialise (about 250 levels)
LAST_WORDS = "Carrying on after the odd calls."


def _messages_saying(world, root_ts: str, text: str) -> int:
    return sum(text in block_text(m) for m in thread(world, root_ts))


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON: the real API never sends it")


async def test_hostile_tool_input_neither_stops_the_incident_nor_a_restart(tmp_path):
    answers: list[Any] = []
    deep: list[Any] = []
    brain = ScriptedBrain()

    async def hostile(ctx, message):
        for value in HOSTILE_PR_NUMBERS:
            answers.append(await ctx.call_tool("request_approval", {"summary": "approve this", "pr_number": value}))
        answers.append(await ctx.call_tool("merge_pull_request", {"pr_number": 1e999}))
        answers.append(await ctx.call_tool("merge_pull_request", {"pr_number": {"$gt": 0}}))
        deep.append(await ctx.call_tool("request_approval", {"summary": "approve this", "evidence": TOO_DEEP}))
        await brain.release.wait()  # the bot restarts here, with the unreadable event in the session's history
        await ctx.say(LAST_WORDS)

    brain.first = hostile
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", brain=brain)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await world.agents.wait_for(lambda s: bool(deep), timeout=TIMEOUT)
        session = world.agents.sessions[run.session_id]

        # Each hostile event is one the real API could send: standard JSON that the SDK's models accept.
        raw = await world.bot.anthropic.beta.sessions.events.with_raw_response.list(run.session_id, limit=1000)
        wire = json.loads(raw.http_response.content, parse_constant=_refuse_constant)
        for event in wire["data"]:
            LIST_EVENTS.validate_python(event)

        # Bad input gets an error result the agent can read, short and naming the field.
        assert len(answers) == len(HOSTILE_PR_NUMBERS) + 2
        for answer in answers:
            assert answer.is_error, answer
            assert "pr_number" in json.loads(answer.text)["error"] and len(answer.text) < 400, answer.text
        [deep_answer] = deep
        assert deep_answer.is_error and "could not read" in json.loads(deep_answer.text)["error"]

        # The thread says which event was skipped.
        [deep_use] = [e for e in session.events if e["type"] == "agent.custom_tool_use" and "evidence" in e["input"]]
        notice = f"could not read event {deep_use['id']} of type agent.custom_tool_use"
        await world.slack.wait_for(lambda s: _messages_saying(world, root_ts, notice) == 1, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        before = [(m["ts"], m.get("text")) for m in thread(world, root_ts)]

        await world.bot.stop()
        world.bot = build_bot(world.settings)  # a new process reads the same history, unreadable event included
        await world.bot.start()
        resumed = world.bot.incidents.find_by_thread(ONCALL, root_ts)
        assert resumed is not None and resumed is not run
        await resumed.wait_live(timeout=TIMEOUT)
        await resumed.publisher.flush(timeout=TIMEOUT)
        assert [(m["ts"], m.get("text")) for m in thread(world, root_ts)] == before  # nothing repeated or lost

        brain.release.set()  # the incident goes on under the new process
        await resumed.wait_finished(timeout=TIMEOUT)
        assert _messages_saying(world, root_ts, LAST_WORDS) >= 1
        assert _messages_saying(world, root_ts, notice) == 1
        assert find_card(world, root_ts, ActionId.APPROVE) is None  # no hostile call left a card waiting for a person
        answered = [e for e in session.events if e["type"] == "user.custom_tool_result"]
        assert sorted(e["custom_tool_use_id"] for e in answered) == sorted(
            e["id"] for e in session.events if e["type"] == "agent.custom_tool_use"
        )  # every call answered exactly once, the unreadable one included
    finally:
        await world.stop()


async def test_an_event_the_bot_cannot_fold_is_skipped_logged_and_shown(tmp_path, caplog):
    # The SDK's models pass wrong field types through unchecked; this idle's event_ids is a number, not a list. It
    # stands for any event a bug in the bot cannot fold: the incident must go on past it.
    caplog.set_level(logging.WARNING)
    brain = ScriptedBrain()

    async def patient(ctx, message):
        await brain.release.wait()
        await ctx.say(LAST_WORDS)

    brain.first = patient
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=tmp_path / "work", brain=brain)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        await run.wait_live(timeout=TIMEOUT)
        bad = world.agents.emit(
            run.session_id, {"type": "session.status_idle", "stop_reason": {"type": "requires_action", "event_ids": 5}}
        )
        notice = f"could not read event {bad['id']} of type session.status_idle"
        await world.slack.wait_for(lambda s: _messages_saying(world, root_ts, notice) == 1, timeout=TIMEOUT)
        assert any(bad["id"] in r.getMessage() and r.exc_info for r in caplog.records)  # logged with its id and why
        brain.release.set()
        await run.wait_finished(timeout=TIMEOUT)
        assert _messages_saying(world, root_ts, LAST_WORDS) >= 1
        assert _messages_saying(world, root_ts, notice) == 1
    finally:
        await world.stop()
