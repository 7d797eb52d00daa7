"""The manager keeps only the newest finished incidents in memory."""

from __future__ import annotations

from datetime import datetime, timezone

from blocks.views import IncidentStatus
from bot import incidents
from bot.incidents import IncidentManager
from bot.run.incident import IncidentRun, SlackThread
from bot.run.state import IncidentState
from bot.settings import Settings


class _Publisher:  # the manager only reads these two attributes here
    session_id = ""


def _run(i: int, status: IncidentStatus) -> IncidentRun:
    state = IncidentState(session_id=f"sesn_{i}", title="t", started_at=datetime.now(timezone.utc), status=status)
    return IncidentRun(client=None, state=state, thread=SlackThread("C1", f"{i}.0"), tools=None, publisher=_Publisher())  # type: ignore[arg-type]


def test_old_finished_incidents_are_forgotten_but_open_ones_never(monkeypatch, tmp_path):
    monkeypatch.setattr(incidents, "KEEP_FINISHED", 3)
    settings = Settings(slack_bot_token="xoxb-t", slack_app_token="xapp-t", oncall_channel="C1", anthropic_api_key="k", work_dir=tmp_path)
    manager = IncidentManager(settings=settings, slack=None, anthropic=None)  # type: ignore[arg-type]
    for i in range(6):
        manager._register(_run(i, IncidentStatus.IDLE if i % 2 == 0 else IncidentStatus.WAITING))
    for i in range(6, 10):
        manager._register(_run(i, IncidentStatus.IDLE))
    kept = sorted(manager.runs)
    assert {"sesn_1", "sesn_3", "sesn_5"} <= set(kept)  # waiting on a person: always kept
    assert len([k for k in kept if manager.runs[k].state.finished]) == 3
    assert manager.find_by_thread("C1", "0.0") is None and manager.find_by_thread("C1", "9.0") is not None
