"""One incident run against both stand-ins: what it sends to the session, what the thread shows, what it records."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from bot.audit import AuditLog
from bot.metadata import RootRecord, SessionMetadata
from bot.run.incident import IncidentRun, SlackThread
from bot.run.renderer import render_root
from bot.run.state import IncidentState
from standins.managed_agents.testing import ScriptedBrain, user_message

from tests.bot import events as ev
from tests.bot.stand import ALICE, ONCALL, Parts, Stand, stand

TIMEOUT = 30
RECORD = RootRecord(title="checkout OOM", opened_by=ALICE, source="slash command", opening="Pods are OOMKilled.")


async def _new_run(world: Stand, parts: Parts, *, thread: SlackThread | None = None, session_id: str = "",
                   first: str = "go") -> IncidentRun:
    """A run for a new session created with its first message (or for `session_id` in `thread`, as after a restart),
    built with its collaborators."""
    state = IncidentState(session_id=session_id, title=RECORD.title, started_at=datetime.now(timezone.utc),
                          opened_by=ALICE, source=RECORD.source)  # fmt: skip
    if thread is None:
        publisher = await parts.factory.start_thread(ONCALL, render_root(state), record=RECORD)
        thread = SlackThread(ONCALL, publisher.thread_ts)
        agent = await parts.factory.resources.agent()
        meta = SessionMetadata.fit(slack_channel=ONCALL, slack_thread_ts=thread.ts, incident_title=RECORD.title)
        session = await world.anthropic.beta.sessions.create(agent=agent.agent_id, environment_id=agent.environment_id,
                                                             metadata=meta.dump(), initial_events=[user_message(first)])
        state = IncidentState(session_id=session.id, title=state.title, started_at=state.started_at,
                              opened_by=ALICE, source=RECORD.source)  # fmt: skip
    run = await parts.factory.build(state, thread, record=RECORD if session_id == "" else None)
    parts.registry.add(run)  # so that parts.close() stops it
    return run


def _sent(world: Stand, session_id: str, kind: str) -> list[dict]:
    out = []
    for req in world.agents.requests:
        if req.method == "POST" and req.path == f"/v1/sessions/{session_id}/events" and req.status < 300:
            out += [e for e in req.json.get("events", []) if e.get("type") == kind]
    return out


def _texts(world: Stand, thread: SlackThread) -> list[str]:
    return [m["text"] for m in world.thread(thread.ts)[1:]]


async def test_a_restarted_run_sends_nothing_again_and_reposts_nothing(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await _new_run(world, parts, first="Pods are OOMKilled.")
        run.start()
        await run.wait_finished(timeout=TIMEOUT)
        assert world.brain.calls == [("investigate", "Pods are OOMKilled.")]
        assert any("follow-up: Pods are OOMKilled." in t for t in _texts(world, run.thread))
        await parts.close()
        posts = len(world.slack.calls_to("chat.postMessage"))

        later = world.parts()
        again = await _new_run(world, later, thread=run.thread, session_id=run.session_id)
        assert again.root_record == RECORD  # read back from the root message
        again.start()
        await again.wait_live(timeout=TIMEOUT)
        await again.wait_finished(timeout=TIMEOUT)
        assert _sent(world, run.session_id, "user.message") == []  # the first message went with the creation
        assert world.brain.calls == [("investigate", "Pods are OOMKilled.")]
        assert len(world.slack.calls_to("chat.postMessage")) == posts  # the thread was complete: nothing re-posted
        await later.close()


async def test_an_event_delivered_twice_is_shown_once(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await _new_run(world, parts)
        event = ev.message("Heap is full.")
        await run.apply(event)
        await run.apply(event.model_copy())  # the same id again, as a reconnect's history delivers it
        await run.publisher.flush(timeout=TIMEOUT)
        assert _texts(world, run.thread) == ["Heap is full."]
        await parts.close()


async def test_a_custom_tool_call_is_answered_once_though_the_stream_keeps_breaking(tmp_path):
    brain = ScriptedBrain()

    async def first(ctx, message):
        deploys = await ctx.call_tool("get_recent_deploys", {})
        await ctx.say(f"{len(json.loads(deploys.text)['deploys'])} deploys.")

    brain.first = first
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await _new_run(world, parts)
        world.agents.inject_stream_cut(every=3)
        run.start()
        await run.wait_finished(timeout=TIMEOUT)
        [call] = [t for t in run.state.tools.values() if t.name == "get_recent_deploys"]
        answers = [e for e in _sent(world, run.session_id, "user.custom_tool_result") if e["custom_tool_use_id"] == call.id]
        assert len(answers) == 1 and not answers[0].get("is_error")
        assert any(t.endswith("deploys.") for t in _texts(world, run.thread))
        await parts.close()


async def test_a_finished_session_is_marked_closed_and_a_reply_in_the_thread_reopens_it(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await _new_run(world, parts)
        run.start()
        session = world.agents.sessions
        await world.agents.wait_for(lambda a: session[run.session_id].metadata.get("incident_closed") == "1",
                                    timeout=TIMEOUT)  # fmt: skip
        await run.follow_up(user_id=ALICE, text="Check the heap limit too.")
        assert "incident_closed" not in session[run.session_id].metadata
        await world.slack.wait_for(lambda s: any("Check the heap limit too." in t for t in _texts(world, run.thread)),
                                   timeout=TIMEOUT)  # fmt: skip
        [(_, relayed)] = [c for c in world.brain.calls if c[0] == "follow_up"]
        assert f"Slack user {ALICE} replied" in relayed and "<<<MESSAGE\nCheck the heap limit too.\nMESSAGE>>>" in relayed
        await parts.close()


async def test_what_the_run_records_goes_to_the_audit_log_it_was_built_with(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await _new_run(world, parts)
        await run.record("stopped", who=ALICE)
        [record] = await AuditLog(world.settings.audit_log).last()
        assert (record.action, record.who, record.session_id, record.incident) == ("stopped", ALICE, run.session_id,
                                                                                   "checkout OOM")  # fmt: skip
        await parts.close()
