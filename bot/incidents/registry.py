"""The incidents this bot follows, found by session, by Slack thread or by an alert's dedupe key."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import MappingProxyType

from bot.run.incident import IncidentRun

__all__ = ["IncidentRegistry", "KEEP_FINISHED"]

KEEP_FINISHED = 200  # finished incidents kept in memory for follow-ups and App Home


class IncidentRegistry:
    """Every incident run in this process, keyed by session id and by Slack thread; old finished ones are forgotten."""

    def __init__(self, *, keep_finished: int = KEEP_FINISHED) -> None:
        self._runs: dict[str, IncidentRun] = {}
        self._by_thread: dict[tuple[str, str], str] = {}
        self._keep_finished = keep_finished

    @property
    def runs(self) -> Mapping[str, IncidentRun]:
        """The runs by session id, oldest first (read-only)."""
        return MappingProxyType(self._runs)

    def add(self, run: IncidentRun) -> None:
        """Register a run (its session and its thread), forgetting the oldest finished ones beyond the limit."""
        self._runs[run.session_id] = run
        self._by_thread[(run.thread.channel, run.thread.ts)] = run.session_id
        self._forget_old()

    def find(self, session_id: str) -> IncidentRun | None:
        return self._runs.get(session_id)

    def find_by_thread(self, channel: str, thread_ts: str) -> IncidentRun | None:
        session_id = self._by_thread.get((channel, thread_ts))
        return self._runs.get(session_id) if session_id else None

    def find_by_dedupe_key(self, dedupe_key: str) -> IncidentRun | None:
        """The incident still in progress that an alert with this dedupe key belongs to."""
        if not dedupe_key:
            return None
        for run in self._runs.values():
            record = run.root_record
            if record is not None and record.dedupe_key == dedupe_key and not run.state.finished:
                return run
        return None

    def latest_by_dedupe_key(self, dedupe_key: str) -> IncidentRun | None:
        """The newest incident an alert with this dedupe key opened or joined, finished or not."""
        if not dedupe_key:
            return None
        found = [r for r in self._runs.values() if r.root_record is not None and r.root_record.dedupe_key == dedupe_key]
        return found[-1] if found else None

    def _forget_old(self) -> None:
        """Keep only the newest finished incidents in memory (their sessions and threads keep the record)."""
        finished = [r for r in self._runs.values() if r.state.finished and not r.following]
        for run in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._runs[run.session_id]
            self._by_thread.pop((run.thread.channel, run.thread.ts), None)

    async def stop_all(self, *, flush_within: float = 0.0) -> None:
        """Stop following every run (the sessions go on in the cloud; a restart picks them up), each first letting
        Slack show what it folded in, for up to `flush_within` seconds."""
        runs = list(self._runs.values())
        await asyncio.gather(*(run.stop(flush_within=flush_within) for run in runs), return_exceptions=True)
