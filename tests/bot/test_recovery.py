"""After a restart: live incidents are followed again with what their root message kept, interrupted openings are
finished once, closed and foreign sessions are left alone, and a webhook wakes a session nothing follows."""

from __future__ import annotations

from blocks.message import Message
from bot.metadata import RootRecord
from standins.managed_agents.testing import ScriptedBrain

from tests.bot.stand import ALICE, ONCALL, stand

TIMEOUT = 30


def _waiting_brain() -> ScriptedBrain:
    brain = ScriptedBrain()

    async def first(ctx, message):
        await ctx.say("Looking into it.")
        await brain.release.wait()
        await ctx.say("Done.")

    brain.first = first
    return brain


async def test_a_restart_follows_a_live_incident_again_with_what_its_root_message_kept(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout OOM", text="OOM", opened_by=None, source="webhook",
                                      dedupe_key="pagerduty:K1")  # fmt: skip
        await world.agents.wait_for(lambda a: brain.calls, timeout=TIMEOUT)
        await run.publisher.flush(timeout=TIMEOUT)
        await parts.close()

        later = world.parts()
        [resumed] = await later.recovery.resume_all()
        assert resumed.session_id == run.session_id and resumed is not run
        assert later.registry.find_by_thread(ONCALL, run.thread.ts) is resumed
        assert later.registry.find_by_dedupe_key("pagerduty:K1") is resumed  # a repeat alert still joins it
        assert resumed.root_record == run.root_record
        brain.release.set()
        await resumed.wait_finished(timeout=TIMEOUT)
        assert [c[0] for c in brain.calls] == ["investigate"]  # the first message was not sent again
        assert len(world.sessions_created()) == 1
        await later.close()


async def test_closed_foreign_and_malformed_sessions_are_not_followed(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout OOM", text="OOM", opened_by=ALICE, source="slash command")
        await world.agents.wait_for(lambda a: a.sessions[run.session_id].metadata.get("incident_closed") == "1",
                                    timeout=TIMEOUT)  # fmt: skip
        agent = await parts.factory.resources.agent()
        for metadata in ({"purpose": "someone else's"}, {"incident_bot": "1", "slack_channel": ONCALL}):
            await world.anthropic.beta.sessions.create(agent=agent.agent_id, environment_id=agent.environment_id,
                                                       metadata=metadata)  # fmt: skip
        await parts.close()

        later = world.parts()
        assert await later.recovery.resume_all() == []
        assert not later.registry.runs
        await later.close()


async def test_an_opening_a_crash_interrupted_is_finished_once(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        record = RootRecord.fit(title="checkout OOM", opened_by=ALICE, source="slash command", opening="Pods OOM.")
        # The opener posts the root message, and the bot dies before it creates the session.
        posted = await parts.factory.start_thread(ONCALL, Message("Incident: checkout OOM"), record=record)
        await parts.close()

        later = world.parts()
        [run] = await later.recovery.resume_all()
        assert run.thread.ts == posted.thread_ts and run.root_record == record
        [created] = world.sessions_created()
        assert created.json["metadata"]["slack_thread_ts"] == posted.thread_ts
        await run.wait_finished(timeout=TIMEOUT)
        [(kind, first)] = world.brain.calls  # the record's opening, with where the files are and what to query
        assert kind == "investigate" and first.startswith("Pods OOM.\n") and "/mnt/session/uploads/" in first
        await later.close()

        third = world.parts()
        assert await third.recovery.resume_all() == []  # finished and closed: nothing to finish or follow
        assert len(world.sessions_created()) == 1
        await third.close()


async def test_a_webhook_wakes_a_session_that_nothing_follows(tmp_path):
    brain = _waiting_brain()
    async with stand(tmp_path, brain=brain) as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout OOM", text="OOM", opened_by=ALICE, source="slash command")
        await world.agents.wait_for(lambda a: brain.calls, timeout=TIMEOUT)
        await parts.close()

        later = world.parts()  # started without resuming anything
        await later.recovery.wake("sesn_unknown", "session.status_idled")  # logged, not raised
        await later.recovery.wake(run.session_id, "session.status_idled")
        woken = later.registry.find(run.session_id)
        assert woken is not None and woken.following
        await later.recovery.wake(run.session_id, "session.status_idled")
        assert later.registry.find(run.session_id) is woken and len(later.registry.runs) == 1
        brain.release.set()
        await woken.wait_finished(timeout=TIMEOUT)
        await later.close()
