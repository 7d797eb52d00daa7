"""The runbook skill: the team's markdown runbooks (RUNBOOKS_DIR) as its files, under a SKILL.md that lists them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SKILL_NAME", "Runbook", "read_runbooks", "skill_files"]

SKILL_NAME = "incident-runbooks"
_FOLDER = "runbooks"  # where the runbooks sit in the skill, next to SKILL.md

_SKILL_MD = """\
---
name: {name}
description: Consult the team's runbooks for a failure signature before proposing any fix; every infra fix goes through a PR that cites the runbook.
---

# Incident runbooks

1. Identify the failure signature from the evidence (e.g. a container killed for memory, an error-rate spike,
   a latency regression after a deploy, an exhausted connection pool, a full disk).
2. Find the matching runbook among this skill's files (listed below, in the `{folder}/` folder next to this file)
   and read it before proposing a fix. If none matches, say so and stop: do not improvise an infra change.
3. Every infra fix goes through open_pull_request. The PR body names the runbook and the step you followed, and
   the evidence (numbers, log lines, commit) that led there.
4. Ask for approval with request_approval. Merge only after a human approved.

## The team's runbooks
{listing}
"""


@dataclass(frozen=True, slots=True)
class Runbook:
    """One markdown runbook: its path relative to RUNBOOKS_DIR, its title and its bytes."""

    path: str
    title: str
    content: bytes


def _title(content: bytes, path: str) -> str:
    for line in content.decode("utf-8", "replace").splitlines():
        if line.startswith("#"):
            return " ".join(line.lstrip("#").split())[:200] or path
    return path


def _read(folder: Path) -> tuple[Runbook, ...]:
    books = []
    for file in sorted(folder.rglob("*.md")):
        rel = file.relative_to(folder)
        if file.is_file() and not any(part.startswith(".") for part in rel.parts):
            content = file.read_bytes()
            books.append(Runbook(rel.as_posix(), _title(content, rel.as_posix()), content))
    return tuple(books)


async def read_runbooks(folder: Path | None) -> tuple[Runbook, ...]:
    """The markdown runbooks under a folder (hidden ones left out), read in a worker thread; none without one."""
    return await asyncio.to_thread(_read, folder) if folder is not None else ()


def skill_files(runbooks: tuple[Runbook, ...] = ()) -> list[tuple[str, bytes, str]]:
    """The skill's files as multipart parts named by path, as the Skills API wants them."""
    listing = "\n".join(f"- `{_FOLDER}/{b.path}`: {b.title}" for b in runbooks) or (
        "None are configured (RUNBOOKS_DIR is not set): say so, and propose no infra change.")
    skill_md = _SKILL_MD.format(name=SKILL_NAME, folder=_FOLDER, listing=listing)
    parts = [(f"{SKILL_NAME}/SKILL.md", skill_md.encode(), "text/markdown")]
    parts += [(f"{SKILL_NAME}/{_FOLDER}/{b.path}", b.content, "text/markdown") for b in runbooks]
    return parts
