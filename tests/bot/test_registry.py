"""The registry finds runs by session, thread and dedupe key, and keeps only the newest finished incidents."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from anthropic import AsyncAnthropic
from slack_sdk.web.async_client import AsyncWebClient

from blocks.views import IncidentStatus
from bot.agents.evidence import Evidence
from bot.approvals.gate import ApprovalGate
from bot.identity import SlackIdentity
from bot.incidents.registry import IncidentRegistry
from bot.metadata import RootRecord
from bot.prs.local import LocalPullRequests
from bot.run.incident import IncidentRun, SlackThread
from bot.run.pacing import ChannelPacer
from bot.run.publisher import ThreadPublisher
from bot.run.state import IncidentState
from bot.tools.answers import IncidentTools

NOWHERE = "http://127.0.0.1:9/"  # the registry never makes a call: nothing listens there


@pytest.fixture
def make_run(tmp_path: Path):
    """Runs built as the factory builds them, with clients that are never used."""
    anthropic, slack = AsyncAnthropic(api_key="sk-ant-test", base_url=NOWHERE), AsyncWebClient(base_url=NOWHERE)
    evidence = Evidence(folder=tmp_path, incident_id="oom", title="OOM", service="checkout")
    prs, pacer, own = LocalPullRequests(tmp_path / "repos"), ChannelPacer(0), SlackIdentity("U0BOT", "B0BOT")

    def make(i: int, status: IncidentStatus, *, dedupe_key: str = "") -> IncidentRun:
        sid, thread = f"sesn_{i}", SlackThread("C1", f"{i}.0")
        state = IncidentState(session_id=sid, title="t", started_at=datetime.now(timezone.utc), status=status)
        publisher = ThreadPublisher(slack, channel=thread.channel, thread_ts=thread.ts, session_id=sid, pacer=pacer, own=own)
        gate = ApprovalGate(client=anthropic, session_id=sid, thread=thread, card_ts=publisher.ts_of, prs=prs)
        return IncidentRun(client=anthropic, state=state, thread=thread, publisher=publisher, gate=gate,
                           tools=IncidentTools(evidence=evidence, prs=prs, session_id=sid),
                           root_record=RootRecord(title="t", dedupe_key=dedupe_key))  # fmt: skip

    return make


def test_old_finished_incidents_are_forgotten_but_open_ones_never(make_run):
    registry = IncidentRegistry(keep_finished=3)
    for i in range(6):
        registry.add(make_run(i, IncidentStatus.IDLE if i % 2 == 0 else IncidentStatus.WAITING))
    for i in range(6, 10):
        registry.add(make_run(i, IncidentStatus.IDLE))
    kept = sorted(registry.runs)
    assert {"sesn_1", "sesn_3", "sesn_5"} <= set(kept)  # waiting on a person: always kept
    assert len([k for k in kept if registry.runs[k].state.finished]) == 3
    assert registry.find_by_thread("C1", "0.0") is None and registry.find_by_thread("C1", "9.0") is not None


def test_a_run_is_found_by_its_session_and_its_thread_only(make_run):
    registry = IncidentRegistry()
    run = make_run(1, IncidentStatus.RUNNING)
    registry.add(run)
    assert registry.find("sesn_1") is run and registry.find("sesn_2") is None
    assert registry.find_by_thread("C1", "1.0") is run
    assert registry.find_by_thread("C2", "1.0") is None and registry.find_by_thread("C1", "2.0") is None


def test_an_alert_joins_only_an_incident_in_progress_with_its_dedupe_key(make_run):
    registry = IncidentRegistry()
    finished = make_run(1, IncidentStatus.IDLE, dedupe_key="pagerduty:K1")
    running = make_run(2, IncidentStatus.RUNNING, dedupe_key="pagerduty:K1")
    other = make_run(3, IncidentStatus.RUNNING, dedupe_key="pagerduty:K2")
    for run in (finished, running, other, make_run(4, IncidentStatus.RUNNING)):
        registry.add(run)
    assert registry.find_by_dedupe_key("pagerduty:K1") is running
    assert registry.find_by_dedupe_key("pagerduty:K2") is other
    assert registry.find_by_dedupe_key("pagerduty:K3") is None
    assert registry.find_by_dedupe_key("") is None  # an alert without a key never joins one without a key


def test_the_runs_cannot_be_changed_from_outside(make_run):
    registry = IncidentRegistry()
    registry.add(make_run(1, IncidentStatus.RUNNING))
    with pytest.raises(TypeError):
        registry.runs["sesn_2"] = make_run(2, IncidentStatus.RUNNING)  # type: ignore[index]
