"""The reducer: what the incident state says after a sequence of session events."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import reduce as fold

import pytest

from blocks.views import IncidentStatus, Outcome
from bot.run.reducer import reduce
from bot.run.skipped import MAX_INPUT_DEPTH
from bot.run.state import IncidentState

from tests.bot import events as ev


def _state() -> IncidentState:
    return IncidentState(session_id="sesn_1", title="checkout OOM", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))


def run(*events: object) -> IncidentState:
    return fold(reduce, events, _state())


def test_tool_calls_between_agent_messages_share_one_progress_message():
    a, b = ev.tool_use("bash", command="ls"), ev.tool_use("read", file_path="/mnt/x")
    c = ev.tool_use("bash", command="tail log")
    state = run(ev.running(), a, ev.tool_result(a, "ok"), b, ev.message("Looking at logs"), c)
    kinds = [i.kind for i in state.items]
    assert kinds == ["progress", "message", "progress"]
    assert state.items[0].step_ids == (a.id, b.id)
    assert state.items[2].step_ids == (c.id,)
    assert state.tools[a.id].result == "ok" and state.tools[b.id].result is None


def test_status_follows_the_session():
    assert run(ev.running()).status is IncidentStatus.RUNNING
    use = ev.custom("get_recent_deploys")
    waiting = run(ev.running(), use, ev.idle("requires_action", [use.id]))
    assert waiting.status is IncidentStatus.WAITING and waiting.pending_ids == (use.id,)
    assert not waiting.finished
    done = run(ev.running(), ev.message("done"), ev.idle())
    assert done.status is IncidentStatus.IDLE and done.finished
    failed = run(ev.running(), ev.idle("retries_exhausted"))
    assert failed.status is IncidentStatus.FAILED and "retries exhausted" in failed.status_detail
    assert run(ev.running(), ev.terminated()).status is IncidentStatus.TERMINATED


def test_root_cause_is_taken_from_the_agent_message_that_states_it():
    state = run(ev.message("Findings:\nRoot cause: heap 121 MB against a 128 MiB limit.\nNext: PR"))
    assert state.root_cause == "heap 121 MB against a 128 MiB limit."


@pytest.mark.parametrize("line", [
    "**Root cause:** heap 121 MB against a 128 MiB limit.",
    "**Root cause**: heap 121 MB against a 128 MiB limit.",
    "Root cause — heap 121 MB against a 128 MiB limit.",
    "Root cause – heap 121 MB against a 128 MiB limit.",
    "## Root cause: heap 121 MB against a 128 MiB limit.",
    "- *Root cause:* heap 121 MB against a 128 MiB limit.",
    "**Root cause: heap 121 MB against a 128 MiB limit.**",
    "__Root cause__ — heap 121 MB against a 128 MiB limit.",
])
def test_root_cause_is_read_as_models_write_it_without_the_markdown(line):
    state = run(ev.message(f"Findings:\n{line}\nNext: PR"))
    assert state.root_cause == "heap 121 MB against a 128 MiB limit."


def test_markdown_inside_the_root_cause_is_kept():
    assert run(ev.message("**Root cause:** the **heap** limit")).root_cause == "the **heap** limit"
    assert run(ev.message("Root cause: `limits.memory` is 128Mi")).root_cause == "`limits.memory` is 128Mi"


def test_words_after_root_cause_that_are_no_label_are_not_a_root_cause():
    assert run(ev.message("Root cause analysis follows in the PR.")).root_cause == ""
    assert run(ev.message("The root cause: unknown")).root_cause == ""


def test_pull_request_and_approval_are_recorded_from_the_answers():
    pr_call = ev.custom("open_pull_request", title="Raise memory", body="per oom.md", diff="--- a/x\n+++ b/x\n")
    ask = ev.custom("request_approval", summary="raise to 512Mi")
    state = run(
        pr_call,
        ev.custom_result(pr_call, {"pr_number": 1, "url": "file:///r#pr/1", "diff_sha256": "abc"}),
        ask,
    )
    assert state.latest_pr.number == 1 and state.latest_pr.title == "Raise memory"
    approval = state.approvals[ask.id]
    assert approval.pr_number == 1 and approval.decision is None  # defaults to the latest PR
    assert [i.kind for i in state.items][-1] == "approval"
    decided = reduce(state, ev.custom_result(ask, {"decision": "approved", "approver": "U1", "reason": "", "pr_number": 1, "diff_sha256": "abc"}))
    assert decided.approval_for(1).decision.outcome == "approved"
    assert decided.approval_for(1).decision.by == "U1"
    assert decided.approval_for(1).diff_sha256 == "abc"


def test_an_error_answer_to_open_pull_request_records_no_pr():
    pr_call = ev.custom("open_pull_request", title="t", body="b", diff="junk")
    state = run(pr_call, ev.custom_result(pr_call, {"error": "does not apply"}, is_error=True))
    assert state.prs == {} and state.tools[pr_call.id].is_error


def test_termination_cancels_pending_cards():
    ask = ev.custom("request_approval", summary="s")
    conf = ev.ask_tool_use("bash", command="kubectl rollout restart")
    state = run(ask, conf, ev.terminated())
    assert state.approvals[ask.id].note == "session terminated"
    assert state.confirmations[conf.id].note == "session terminated"


def test_held_tool_call_becomes_a_confirmation_card():
    conf = ev.ask_tool_use("bash", command="rm -rf /tmp/cache")
    state = run(conf)
    assert state.confirmations[conf.id].tool_name == "bash"
    assert state.items[-1].kind == "confirmation"
    denied = reduce(state, ev.confirmation(conf, "deny", deny_message="[U9] too risky"))
    assert denied.confirmations[conf.id].result == "deny"
    assert denied.confirmations[conf.id].decided_by == "U9"
    assert denied.confirmations[conf.id].deny_message == "too risky"


def test_unknown_event_types_change_nothing_but_are_noted(caplog):
    before = run(ev.running())
    after = reduce(reduce(before, ev.unknown("agent.telepathy")), ev.unknown("agent.telepathy"))
    assert after.items == before.items and after.status is before.status
    assert after.unknown_types == {"agent.telepathy"}
    assert sum("agent.telepathy" in r.message for r in caplog.records) == 1  # logged once


def test_errors_are_shown_with_their_retry_status():
    state = run(ev.error(retry="exhausted"))
    assert state.items[-1].kind == "error" and state.items[-1].error.retry_status == "exhausted"


def test_pending_approvals_and_confirmations_are_those_a_person_can_still_decide():
    pr_call = ev.custom("open_pull_request", title="t", body="b", diff="d")
    opened = [pr_call, ev.custom_result(pr_call, {"pr_number": 1, "url": "u", "diff_sha256": "abc"})]
    first, second = ev.custom("request_approval", summary="a"), ev.custom("request_approval", summary="b")
    held = ev.ask_tool_use("bash", command="kubectl rollout restart")
    state = run(*opened, first, second, held)
    assert [a.tool_use_id for a in state.pending_approvals()] == [first.id, second.id]
    assert [c.tool_use_id for c in state.pending_confirmations()] == [held.id]

    decided = reduce(state, ev.custom_result(first, {"decision": "rejected", "approver": "U1", "pr_number": 1}))
    assert [a.tool_use_id for a in decided.pending_approvals()] == [second.id]
    assert decided.approvals[first.id].decision.outcome is Outcome.REJECTED
    ended = reduce(decided, ev.terminated())
    assert ended.pending_approvals() == [] and ended.pending_confirmations() == []


def test_tool_input_nested_deeper_than_the_sdk_serialises_is_not_read():
    def nested(depth: int) -> dict:
        value: object = "bottom"
        for _ in range(depth - 1):
            value = {"a": value}
        return {"a": value}

    assert run(ev.custom("request_approval", summary="s", evidence=nested(MAX_INPUT_DEPTH - 1))).approvals
    with pytest.raises(ValueError):  # the run skips such an event with a notice (tests/security/test_malformed_events)
        run(ev.custom("request_approval", summary="s", evidence=nested(MAX_INPUT_DEPTH)))
