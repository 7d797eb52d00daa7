"""Hostile values in wire-shaped events: the reducer reads them without raising, the tools refuse them in words."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import reduce as fold

import pytest

from bot.agents.evidence import load_evidence
from bot.prs.local import LocalPullRequests
from bot.tools.answers import IncidentTools
from bot.run.reducer import reduce
from bot.run.renderer import render_root, render_thread
from bot.run.state import IncidentState
from bot.settings import REPO_ROOT

from tests.bot import events as ev

OOM = REPO_ROOT / "fixtures" / "checkout-oom"
HOSTILE = [float("inf"), float("-inf"), float("nan"), True, 1.5, 0, -3, 10**400, "1e999", "9" * 5000, {"n": 1}, [1], None]


def _state(*events: dict) -> IncidentState:
    start = IncidentState(session_id="sesn_t", title="t", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    return fold(reduce, events, start)


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:16])
def test_the_reducer_and_renderer_read_any_pr_number(value: object) -> None:
    use = ev.custom("request_approval", summary={"not": "text"}, pr_number=value)
    merge = ev.custom("merge_pull_request", pr_number=value)
    state = _state(use, merge, ev.custom_result(merge, {"merged": True, "pr_number": value}))
    assert state.approvals[use["id"]].pr_number is None  # not a PR number, so no PR is assumed
    render_root(state)
    render_thread(state)


def test_a_whole_number_still_names_its_pr() -> None:
    for value in (3, 3.0, "3", " 3 "):
        use = ev.custom("request_approval", summary="s", pr_number=value)
        assert _state(use).approvals[use["id"]].pr_number == 3


@pytest.fixture
async def tools(tmp_path):
    evidence = await load_evidence(OOM, work_dir=tmp_path)
    return IncidentTools(evidence=evidence, prs=LocalPullRequests(tmp_path / "repos"), session_id="sesn_t")


@pytest.mark.parametrize("value", [v for v in HOSTILE if v is not None], ids=lambda v: repr(v)[:16])
async def test_bad_pr_numbers_get_an_error_the_agent_can_read(tools, value: object) -> None:
    for name in ("request_approval", "merge_pull_request"):
        use = ev.custom(name, summary="s", pr_number=value)
        state = _state(use)
        answer = await tools.answer(state.tools[use["id"]], state)
        assert answer is not None and answer.is_error
        error = json.loads(answer.text)["error"]
        assert "pr_number" in error and len(error) < 300, error
