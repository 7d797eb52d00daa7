"""The registry finds runs by session, thread and dedupe key, and keeps only the newest finished incidents."""

from __future__ import annotations

from datetime import datetime, timezone

from blocks.views import IncidentStatus
from bot.incidents.registry import IncidentRegistry
from bot.metadata import RootRecord
from bot.run.incident import IncidentRun, SlackThread
from bot.run.state import IncidentState


class _Publisher:  # the registry only reads these two attributes here
    session_id = ""


def _run(i: int, status: IncidentStatus, *, dedupe_key: str = "") -> IncidentRun:
    state = IncidentState(session_id=f"sesn_{i}", title="t", started_at=datetime.now(timezone.utc), status=status)
    record = RootRecord(title="t", dedupe_key=dedupe_key) if dedupe_key else None
    return IncidentRun(client=None, state=state, thread=SlackThread("C1", f"{i}.0"), tools=None, publisher=_Publisher(),  # type: ignore[arg-type]
                       root_record=record)  # fmt: skip


def test_old_finished_incidents_are_forgotten_but_open_ones_never():
    registry = IncidentRegistry(keep_finished=3)
    for i in range(6):
        registry.add(_run(i, IncidentStatus.IDLE if i % 2 == 0 else IncidentStatus.WAITING))
    for i in range(6, 10):
        registry.add(_run(i, IncidentStatus.IDLE))
    kept = sorted(registry.runs)
    assert {"sesn_1", "sesn_3", "sesn_5"} <= set(kept)  # waiting on a person: always kept
    assert len([k for k in kept if registry.runs[k].state.finished]) == 3
    assert registry.find_by_thread("C1", "0.0") is None and registry.find_by_thread("C1", "9.0") is not None
