"""The custom tools the bot answers: data from the incident folder, PRs in a real git repository, the merge gate."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import reduce as fold

import pytest

from bot.agents.evidence import load_evidence
from bot.prs.local import LocalPullRequests
from bot.tools.answers import IncidentTools
from bot.run.reducer import reduce
from bot.run.state import IncidentState
from bot.settings import REPO_ROOT

from tests.bot import events as ev

OOM = REPO_ROOT / "fixtures" / "checkout-oom"


@pytest.fixture
def repos(tmp_path) -> LocalPullRequests:
    return LocalPullRequests(tmp_path / "repos")


@pytest.fixture
async def tools(tmp_path, repos):
    evidence = await load_evidence(OOM, work_dir=tmp_path)
    return IncidentTools(evidence=evidence, prs=repos, session_id="sesn_t")


def _state(*events) -> IncidentState:
    start = IncidentState(session_id="sesn_t", title="t", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    return fold(reduce, events, start)


def _memory_diff() -> str:
    import difflib

    text = (OOM / "repo/k8s/checkout/deployment.yaml").read_text()
    new = text.replace("memory: 128Mi", "memory: 512Mi")
    assert new != text
    path = "k8s/checkout/deployment.yaml"
    return "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


async def _answer(tools, call_event, state):
    state = reduce(state, call_event)
    return await tools.answer(state.tools[call_event.id], state), state


async def test_data_tools_answer_from_the_incident_folder(tools):
    metrics = json.loads((OOM / "metrics.json").read_text())
    service = next(iter(metrics))
    metric = next(iter(metrics[service]))
    answer, _ = await _answer(tools, ev.custom("get_metrics", service=service, metric=metric), _state())
    assert not answer.is_error and json.loads(answer.text)["points"] == metrics[service][metric]
    answer, _ = await _answer(tools, ev.custom("get_metrics", service="nope", metric="x"), _state())
    assert answer.is_error and service in answer.text  # says which services exist
    answer, _ = await _answer(tools, ev.custom("get_recent_deploys"), _state())
    assert json.loads(answer.text)["deploys"] == json.loads((OOM / "deploys.json").read_text())


async def test_merge_is_refused_without_a_human_approval_and_allowed_after(tools, repos):
    pr_call = ev.custom("open_pull_request", title="Raise checkout memory to 512Mi", body="Per runbooks/oom.md", diff=_memory_diff())
    answer, state = await _answer(tools, pr_call, _state())
    opened = json.loads(answer.text)
    assert opened["pr_number"] == 1 and opened["diff_sha256"]
    state = reduce(state, ev.custom_result(pr_call, answer.text))

    merge = ev.custom("merge_pull_request", pr_number=1)
    refused, state = await _answer(tools, merge, state)
    assert refused.is_error and "not been approved" in refused.text
    assert not await tools.prs.is_merged("sesn_t", 1)

    ask = ev.custom("request_approval", summary="raise memory")
    state = reduce(state, ask)
    assert await tools.answer(state.tools[ask.id], state) is None  # a person answers this one
    rejected = {"decision": "rejected", "approver": "U1", "reason": "", "pr_number": 1, "diff_sha256": opened["diff_sha256"]}
    state = reduce(state, ev.custom_result(ask, rejected))
    refused, state = await _answer(tools, ev.custom("merge_pull_request", pr_number=1), state)
    assert refused.is_error and "rejected" in refused.text

    ask2 = ev.custom("request_approval", summary="raise memory", pr_number=1)
    approved = dict(rejected, decision="approved")
    state = reduce(reduce(state, ask2), ev.custom_result(ask2, approved))
    merged, state = await _answer(tools, ev.custom("merge_pull_request", pr_number=1), state)
    assert not merged.is_error and json.loads(merged.text)["merged"] is True
    repo = repos.repo_path("sesn_t")
    assert "512Mi" in (repo / "k8s/checkout/deployment.yaml").read_text()


async def test_an_approved_action_is_no_approval_of_a_pull_request(tools):
    action = ev.custom("request_approval", summary="Roll back checkout to v1.4.2")
    state = reduce(_state(), action)
    assert state.approvals[action.id].pr_number is None  # no PR yet: the action its summary describes
    assert await tools.answer(state.tools[action.id], state) is None  # a person answers it
    state = reduce(state, ev.custom_result(action, {"decision": "approved", "approver": "U1", "pr_number": None}))
    pr_call = ev.custom("open_pull_request", title="t", body="b", diff=_memory_diff())
    answer, state = await _answer(tools, pr_call, state)
    state = reduce(state, ev.custom_result(pr_call, answer.text))

    restart = ev.custom("request_approval", summary="Restart the pods", pr_number=None)  # a PR exists: null says so
    state = reduce(state, restart)
    assert state.approvals[restart.id].pr_number is None and await tools.answer(state.tools[restart.id], state) is None
    state = reduce(state, ev.custom_result(restart, {"decision": "approved", "approver": "U1", "pr_number": None}))
    refused, _ = await _answer(tools, ev.custom("merge_pull_request", pr_number=1), state)
    assert refused.is_error and "not been approved" in refused.text
    assert not await tools.prs.is_merged("sesn_t", 1)

    latest = ev.custom("request_approval", summary="raise memory")  # left out: the latest PR, as before
    assert reduce(state, latest).approvals[latest.id].pr_number == 1
    blank, _ = await _answer(tools, ev.custom("request_approval", summary=" ", pr_number=None), state)
    assert blank.is_error and "exactly what you will do" in blank.text
    junk, _ = await _answer(tools, ev.custom("request_approval", summary="s", pr_number="one"), state)
    assert junk.is_error and "whole number" in junk.text


async def test_a_pr_changed_after_approval_is_not_merged(tools, repos):
    pr_call = ev.custom("open_pull_request", title="t", body="b", diff=_memory_diff())
    answer, state = await _answer(tools, pr_call, _state())
    state = reduce(state, ev.custom_result(pr_call, answer.text))
    sha = json.loads(answer.text)["diff_sha256"]
    ask = ev.custom("request_approval", summary="s")
    state = reduce(reduce(state, ask), ev.custom_result(ask, {"decision": "approved", "approver": "U1", "pr_number": 1, "diff_sha256": sha}))
    # Someone pushes another commit to the PR branch after the approval.
    repo = repos.repo_path("sesn_t")
    await repos._git(repo, "checkout", "-q", "pr/1")
    (repo / "k8s/checkout/deployment.yaml").write_text((repo / "k8s/checkout/deployment.yaml").read_text() + "# sneaky\n")
    await repos._git(repo, "commit", "-qam", "sneaky change")
    await repos._git(repo, "checkout", "-q", "main")
    refused, _ = await _answer(tools, ev.custom("merge_pull_request", pr_number=1), state)
    assert refused.is_error and "changed since it was approved" in refused.text
    assert not await tools.prs.is_merged("sesn_t", 1)


async def test_a_diff_that_does_not_apply_is_an_error_the_agent_can_read(tools):
    bad = "--- a/k8s/checkout/deployment.yaml\n+++ b/k8s/checkout/deployment.yaml\n@@ -1,1 +1,1 @@\n-no such line\n+x\n"
    answer, _ = await _answer(tools, ev.custom("open_pull_request", title="t", body="b", diff=bad), _state())
    said = json.loads(answer.text)["error"]
    assert answer.is_error and said.startswith("the diff does not apply to the repository: k8s/checkout/deployment.yaml")
    assert "hunk 1 (@@ -1,1 +1,1 @@)" in said and "    1 | apiVersion: apps/v1" in said and "diff -u" in said


async def test_a_miscounted_diff_opens_a_pr_and_the_answer_carries_the_stores_diff(tools):
    miscounted = _memory_diff().replace("@@ -46,10 +46,10 @@", "@@ -46,12 +46,7 @@")
    assert miscounted != _memory_diff()
    answer, state = await _answer(tools, ev.custom("open_pull_request", title="t", body="b", diff=miscounted), _state())
    opened = json.loads(answer.text)
    assert not answer.is_error and opened["diff"].startswith("diff --git") and "@@ -46,10 +46,10 @@" in opened["diff"]


async def test_reopening_the_same_tool_call_finds_the_same_pr(tools):
    pr_call = ev.custom("open_pull_request", title="t", body="b", diff=_memory_diff())
    first, state = await _answer(tools, pr_call, _state())
    again = await tools.answer(state.tools[pr_call.id], state)  # e.g. after a crash before the answer was sent
    assert json.loads(first.text)["pr_number"] == json.loads(again.text)["pr_number"] == 1


async def test_a_pr_half_opened_when_the_bot_was_killed_opens_cleanly_after_a_restart(tools, repos):
    # SIGKILL between `git apply --index` and `git commit` leaves the diff staged on the work branch.
    pr_call = ev.custom("open_pull_request", title="t", body="b", diff=_memory_diff())
    repo = await repos.ensure_repo("sesn_t", tools.evidence.repo_dir)
    await repos._git(repo, "checkout", "-q", "-B", "_work", "main")
    await repos._git(repo, "apply", "--index", "-", stdin=_memory_diff().encode())
    (repo / "k8s/checkout/leftover.yaml").write_text("half-written\n")
    await repos._git(repo, "add", "k8s/checkout/leftover.yaml")

    answer, _ = await _answer(tools, pr_call, _state())
    assert not answer.is_error, answer.text
    assert json.loads(answer.text)["pr_number"] == 1
    shown = await repos.current_diff("sesn_t", 1)
    assert "memory: 512Mi" in shown and "leftover" not in shown
