"""The benchmark's incident: the checkout-OOM evidence, with its log cut into chunks the agent reads one by one.

Each chunk's path and first line are unique in the session, so the harness can tell which Slack call first shows
the agent reading it (the path) and what it read (the first line).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot.settings import REPO_ROOT

__all__ = ["EVENTS_PER_CHUNK", "FIXED_EVENTS", "chunk_count", "make_incident"]

SOURCE = REPO_ROOT / "fixtures" / "checkout-oom"
EVENTS_PER_CHUNK = 4  # span start, read tool use, span end, tool result
FIXED_EVENTS = 48  # the first message's turn, six agent messages, four custom tool calls and their answers
LINES_PER_CHUNK = 6


def chunk_count(events: int) -> int:
    """How many log chunks make a session of about `events` events."""
    return max(1, (events - FIXED_EVENTS) // EVENTS_PER_CHUNK)


def make_incident(out: Path, *, chunks: int) -> Path:
    """Write the incident folder (idempotent) and return it."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(SOURCE, out, ignore=shutil.ignore_patterns("logs"))
    lines = (SOURCE / "logs" / "checkout.log").read_text().splitlines()
    logs = out / "logs"
    logs.mkdir()
    for n in range(1, chunks + 1):
        start = ((n - 1) * LINES_PER_CHUNK) % len(lines)
        window = [lines[(start + i) % len(lines)] for i in range(LINES_PER_CHUNK)]
        header = f"chunk {n:03d} of {chunks:03d}: checkout.log lines {start + 1}-{start + LINES_PER_CHUNK}"
        (logs / f"checkout.part-{n:03d}.log").write_text("\n".join([header, *window]) + "\n")
    meta = json.loads((SOURCE / "incident.json").read_text())
    meta["id"] = "bench-checkout-oom"
    (out / "incident.json").write_text(json.dumps(meta))
    return out
