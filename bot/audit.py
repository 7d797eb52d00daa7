"""The audit trail: one JSON line per decision, confirmation, stop and merge, appended to AUDIT_LOG."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["AuditLog", "AuditRecord"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    when: str
    who: str | None  # Slack user id; None when the bot acted (timeout)
    action: str  # approved | rejected | expired | allowed | denied | stopped | merged | merge_refused | slack_refused
    incident: str  # the incident's title
    session_id: str
    tool_use_id: str | None = None
    pr_number: int | None = None
    diff_sha256: str | None = None
    outcome: str = ""  # free text: the reason, the merge commit, why a merge was refused

    @staticmethod
    def now() -> str:
        return datetime.now(timezone.utc).isoformat()


class AuditLog:
    """Append-only JSON lines; writes run in a thread so the event loop never blocks on the disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def append(self, record: AuditRecord) -> None:
        """Write one record (a failure is logged, never raised: an audit problem must not lose a decision)."""
        line = json.dumps(asdict(record), separators=(",", ":")) + "\n"
        async with self._lock:
            try:
                await asyncio.to_thread(self._write, line)
            except OSError:
                log.exception("could not append to the audit log %s", self.path)

    def _write(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)

    async def last(self, n: int = 20) -> list[AuditRecord]:
        """The newest n records, newest first; unreadable lines are skipped."""
        return await asyncio.to_thread(self._read_last, n)

    def _read_last(self, n: int) -> list[AuditRecord]:
        if not self.path.is_file():
            return []
        lines: deque[str] = deque(maxlen=n)
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                lines.append(line)
        out = []
        for line in reversed(lines):
            try:
                out.append(AuditRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return out
