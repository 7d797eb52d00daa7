"""Opening an incident: the root message first (its record in the metadata), then the session that points at it;
a session that cannot be created leaves a root message marked failed, which no restart retries."""

from __future__ import annotations

import pytest
from anthropic import BadRequestError

from standins.managed_agents.testing import ScriptedBrain

from tests.bot.stand import ALICE, ONCALL, root_metadata, stand

TIMEOUT = 30


async def test_the_root_message_comes_first_and_the_session_points_at_it(tmp_path):
    async with stand(tmp_path) as world:
        parts = world.parts()
        run = await parts.opener.open(title="checkout OOM", text="checkout pods OOMKilled", opened_by=ALICE,
                                      source="slash command", dedupe_key="text:oom")  # fmt: skip
        [created] = world.sessions_created()
        [root_post] = [c for c in world.slack.calls_to("chat.postMessage") if c.args.get("channel") == ONCALL][:1]
        assert root_post.at < created.at
        assert created.json["metadata"]["slack_thread_ts"] == run.thread.ts == root_post.response["ts"]
        assert created.json["metadata"]["slack_channel"] == ONCALL and created.json["title"] == "checkout OOM"
        assert parts.registry.find_by_thread(ONCALL, run.thread.ts) is run
        await run.wait_finished(timeout=TIMEOUT)
        meta = root_metadata(world.slack, run.thread.ts)
        assert meta.session_id == run.session_id and meta.record == run.root_record
        assert meta.record.dedupe_key == "text:oom" and meta.record.opened_by == ALICE
        [(kind, first)] = world.brain.calls
        assert kind == "investigate" and "<<<ALERT\ncheckout pods OOMKilled\nALERT>>>" in first
        await parts.close()


async def test_a_session_that_cannot_be_created_marks_the_root_failed_and_no_restart_retries_it(tmp_path):
    async with stand(tmp_path, brain=ScriptedBrain()) as world:
        parts = world.parts()
        world.agents.fail_next("POST", "/v1/sessions", 400)
        with pytest.raises(BadRequestError):
            await parts.opener.open(title="checkout OOM", text="OOM", opened_by=ALICE, source="slash command")
        [root] = world.slack.messages(ONCALL)
        meta = root_metadata(world.slack, root["ts"])
        assert meta.record.failed and meta.session_id == ""
        assert "could not start the investigation" in str(root["blocks"])
        await parts.close()

        later = world.parts()
        assert await later.recovery.resume_all() == []
        assert world.sessions_created() == [] and not later.registry.runs
        await later.close()
