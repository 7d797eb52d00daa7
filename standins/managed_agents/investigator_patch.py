"""Unified diffs for the offline investigator: read a `git show` patch, revert it, write a new one."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    new_start: int
    lines: tuple[str, ...]  # each starts with " ", "-" or "+"

    def side(self, marks: str) -> list[str]:
        """The hunk's text as it reads on one side: " -" before the commit, " +" after it."""
        return [line[1:] for line in self.lines if line[:1] in marks]


@dataclass(frozen=True)
class FilePatch:
    path: str  # relative to the repository root, without a/ or b/
    hunks: tuple[Hunk, ...]

    @property
    def removed(self) -> list[str]:
        """Lines the commit took out."""
        return [line[1:] for hunk in self.hunks for line in hunk.lines if line.startswith("-")]

    @property
    def added(self) -> list[str]:
        """Lines the commit put in."""
        return [line[1:] for hunk in self.hunks for line in hunk.lines if line.startswith("+")]


def parse_patch(text: str) -> list[FilePatch]:
    """The per-file hunks of a unified diff or `git show` output (the commit message is skipped)."""
    patches: list[FilePatch] = []
    path: str | None = None
    hunks: list[Hunk] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("+++ "):
            if path is not None:
                patches.append(FilePatch(path, tuple(hunks)))
            path, hunks = line[4:].split("\t")[0].removeprefix("b/"), []
        elif (match := _HUNK.match(line)) and path is not None:
            body, i = _hunk_body(lines, i, int(match.group(2) or 1), int(match.group(4) or 1))
            hunks.append(Hunk(int(match.group(3)), body))
    if path is not None:
        patches.append(FilePatch(path, tuple(hunks)))
    return [patch for patch in patches if patch.path != "/dev/null"]


def _hunk_body(lines: list[str], i: int, old_left: int, new_left: int) -> tuple[tuple[str, ...], int]:
    """The lines of one hunk, counted by its header so that a removed "-- comment" is not a file header."""
    body: list[str] = []
    while i < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[i] or " "  # some tools strip the space of an empty context line
        if line.startswith("\\"):
            i += 1
            continue
        if line[0] not in " -+":
            break
        old_left -= line[0] in " -"
        new_left -= line[0] in " +"
        body.append(line)
        i += 1
    return tuple(body), i


def revert(current: str, patch: FilePatch) -> str | None:
    """current with patch undone, as `git revert` would; None when the file no longer matches the patch."""
    lines = current.splitlines()
    shift = 0
    for hunk in patch.hunks:
        after, before = hunk.side(" +"), hunk.side(" -")
        at = _locate(lines, after, hunk.new_start - 1 + shift)
        if at is None:
            return None
        lines[at : at + len(after)] = before
        shift += len(before) - len(after)
    return "\n".join(lines) + ("\n" if current.endswith("\n") else "")


def _locate(lines: list[str], block: list[str], hint: int) -> int | None:
    """Where block sits in lines, trying the hinted line first, then the nearest match."""
    spots = [i for i in range(len(lines) - len(block) + 1) if lines[i : i + len(block)] == block]
    return min(spots, key=lambda i: abs(i - hint)) if spots else None


def unified_diff(path: str, old: str, new: str) -> str:
    """A git-style unified diff of one file, paths a/<path> and b/<path>, that `git apply` accepts."""
    body = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}")
    out = [f"diff --git a/{path} b/{path}\n"]
    out += [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in body]
    return "".join(out)
