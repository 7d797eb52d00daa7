"""Diffs as models write them: hunk counts recounted, trailing whitespace and line endings matched to the file; and
when a diff still does not apply, an error that names the file and hunk and shows the lines there now, so the agent can
redo it. Whatever was applied, a PR's diff is the store's own `git diff`, never this text."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NamedTuple

from bot.prs.base import GitError
from bot.prs.git import run_git

__all__ = ["HOW", "DiffDoesNotApply", "apply_diff", "parse_variants", "unreadable"]

_RECOUNT = ("--recount",)  # hunk sizes from the hunk's lines, not from its header (models miscount them)
_HUNK = re.compile(r"@@ -(\d{1,9})(?:,(\d{1,9}))? \+\d{1,9}(?:,\d{1,9})? @@")
_FAILED = re.compile(r"^error: patch failed: (.+):(\d{1,9})$", re.MULTILINE)
_MISSING = re.compile(r"^error: (.+): (?:does not exist in index|No such file or directory)$", re.MULTILINE)
_EXISTS = re.compile(r"^error: (.+): already exists in (?:index|working directory)$", re.MULTILINE)
_CORRUPT = re.compile(r"^error: corrupt patch at line (\d{1,9})$", re.MULTILINE)
_CONTEXT, _REGION_LINES, _LINE_CHARS, _REGION_CHARS = 3, 40, 200, 3000
_MATCH_BUDGET = 2_000_000  # line comparisons spent finding one diff's hunks in their files
HOW = ("Make the diff from the file itself: copy it out of the mounted repository, edit the copy, then "
       "`diff -u --label a/<path> --label b/<path> <original> <copy>`.")

Current = Callable[[str], Awaitable[str | None]]  # a file of the base as the store holds it now, None if absent


class DiffDoesNotApply(GitError):
    """The agent's diff does not apply; the message says where and shows what is there."""


class _Hunk(NamedTuple):
    path: str
    number: int  # 1-based, within its file
    header: str
    old_start: int
    old_count: int
    first: int  # index of its first body line in the diff's lines
    end: int  # index after its last body line


def _patch(text: str) -> bytes:
    return (text if text.endswith("\n") else text + "\n").encode()


def recountable(diff: str) -> str:
    """The diff as --recount must read it: no blank lines after the last hunk (they would count as context), and in a
    diff without `diff --git` headers each file set off by a `diff` line (else its `---`/`+++` header would count as
    lines of the hunk before)."""
    lines = diff.rstrip("\n").split("\n")
    if any(line.startswith("diff --git ") for line in lines):
        return "\n".join(lines) + "\n"
    out: list[str] = []
    for i, line in enumerate(lines):
        header = line.startswith("--- ") and i + 2 < len(lines) and lines[i + 1].startswith("+++ ")
        if header and lines[i + 2].startswith("@@ ") and not (out and out[-1].startswith("diff ")):
            out.append(f"diff -u {line[4:].split(chr(9), 1)[0]} {lines[i + 1][4:].split(chr(9), 1)[0]}")
        out.append(line)
    return "\n".join(out) + "\n"


def parse_variants(diff: str) -> list[tuple[tuple[str, ...], bytes]]:
    """(flags, patch) for every way apply_diff may read the diff: a review must read it each way."""
    return [((), _patch(diff)), (_RECOUNT, _patch(recountable(diff)))]


async def apply_diff(work: Path, diff: str, *, index: bool, three_way: bool, current: Current,
                     reset: Callable[[], Awaitable[None]] | None = None) -> None:  # fmt: skip
    """Apply the diff in `work` (to the index too when `index`), forgiving more on each try, each from the untouched
    base: as written (with --3way where the store has the base's history), with hunk counts recounted, then with its
    context matched to the file's trailing whitespace and line endings. DiffDoesNotApply if none applies. `reset`
    restores the base after a try that may leave something behind (--3way conflicts)."""
    recounted = recountable(diff)
    tries = [((), diff), (_RECOUNT, recounted), (_RECOUNT, None)]
    failures: list[tuple[str, str]] = []
    for n, (flags, text) in enumerate(tries):
        if text is None:
            text = await _matched_to_files(recounted, current)
        if n == 1 and three_way and reset is not None:
            await reset()
        extra = (("--3way",) if three_way and n == 0 else ()) + (("--index",) if index else ())
        try:
            await run_git(work, "apply", *extra, *flags, "--whitespace=nowarn", "-", stdin=_patch(text))
            return
        except GitError as exc:
            failures.append((str(exc).removeprefix("git apply: "), text))
    # Where a hunk failed is best said by the most forgiving try that got that far; anything else by the diff as the
    # agent wrote it (its line numbers are the agent's).
    placed = [f for f in failures if _FAILED.search(f[0])]
    raise DiffDoesNotApply(await _explain(*placed[-1], current) if placed else unreadable(*failures[0]))


def _hunks(lines: list[str]) -> list[_Hunk]:
    hunks: list[_Hunk] = []
    old = path = "?"
    number, i = 0, 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith(("--- ", "+++ ")):
            name = line[4:].split("\t", 1)[0].strip()
            name = name[2:] if name[:2] in ("a/", "b/") else name
            if line.startswith("--- "):
                old = name
            else:
                path, number = (old if name == "/dev/null" else name), 0
        elif (found := _HUNK.match(line)) is not None:
            first = i
            while i < len(lines) and (lines[i][:1] in (" ", "-", "+", "\\") or lines[i] == ""):
                i += 1
            number += 1
            count = int(found.group(2)) if found.group(2) is not None else 1
            hunks.append(_Hunk(path, number, found.group(), int(found.group(1)), count, first, i))
    return hunks


def _find(preimage: list[str], lines: list[str], near: int, budget: list[int]) -> int | None:
    """Where the preimage is in the file, ignoring trailing whitespace (and CR), nearest to line `near` first."""
    want = [p.rstrip() for p in preimage]
    for distance in range(len(lines) + 1):
        for at in (near - distance, near + distance) if distance else (near,):
            if 0 <= at <= len(lines) - len(want):
                budget[0] -= 1
                if budget[0] < 0:
                    return None
                if all(lines[at + k].rstrip() == w for k, w in enumerate(want)):
                    return at
    return None


def _match_hunks(diff: str, files: dict[str, str | None]) -> str:
    """The diff with each hunk's context and removed lines taken from the file where they differ only in trailing
    whitespace or line endings (so the file keeps its bytes), and added lines given the file's line ending."""
    lines = diff.rstrip("\n").split("\n")
    budget = [_MATCH_BUDGET]
    for hunk in _hunks(lines):
        text = files.get(hunk.path)
        if not text:
            continue
        body = range(hunk.first, hunk.end)
        kept = [k for k in body if lines[k][:1] in (" ", "-") or lines[k] == ""]
        file_lines = text.split("\n")
        at = _find([lines[k][1:] for k in kept], file_lines, hunk.old_start - 1, budget) if kept else None
        if at is None:
            continue
        for offset, k in enumerate(kept):
            lines[k] = (lines[k][:1] or " ") + file_lines[at + offset]
        if all(file_lines[at + o].endswith("\r") for o in range(len(kept))):  # a CRLF file: added lines too
            for k in body:
                if lines[k].startswith("+") and not lines[k].endswith("\r"):
                    lines[k] += "\r"
    return "\n".join(lines) + "\n"


async def _matched_to_files(diff: str, current: Current) -> str:
    paths = {hunk.path for hunk in _hunks(diff.split("\n"))}
    files = {path: await current(path) for path in paths}
    return await asyncio.to_thread(_match_hunks, diff, files)  # CPU-bound on a big file: off the event loop


def _region(text: str, start: int, count: int) -> tuple[str, int, int]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    first = max(1, start - _CONTEXT)
    last = min(len(lines), start + max(count, 1) - 1 + _CONTEXT, first + _REGION_LINES - 1)
    shown = "\n".join(f"{n:>5} | {lines[n - 1].rstrip(chr(13))[:_LINE_CHARS]}" for n in range(first, last + 1))
    return shown[:_REGION_CHARS], first, last


async def _explain(message: str, diff: str, current: Current) -> str:
    failed = _FAILED.search(message)
    assert failed is not None
    path, line = failed.group(1), int(failed.group(2))
    hunk = next((h for h in _hunks(diff.split("\n")) if h.path == path and h.old_start == line), None)
    which = f"hunk {hunk.number} ({hunk.header})" if hunk else f"the hunk at line {line}"
    said = f"{path}: patch does not apply: {which} does not match the file as it is now."
    text = await current(path)
    if text is None:
        return f"{said} {HOW}"
    shown, first, last = _region(text, line, hunk.old_count if hunk else 1)
    if not shown:
        return f"{said} The file has {text.count(chr(10))} lines. {HOW}"
    return f"{said} Lines {first}-{last} of {path} now:\n{shown}\n{HOW}"


def unreadable(message: str, diff: str) -> str:
    """Why git could not read or place the diff, in words the agent can act on."""
    message = message.removeprefix("git apply: ")
    if (missing := _MISSING.search(message)) is not None:
        return (f"{missing.group(1)} is not in the repository. Paths are relative to its root, written a/<path> and "
                f"b/<path> (--- /dev/null for a new file).")  # fmt: skip
    if (exists := _EXISTS.search(message)) is not None:
        return f"{exists.group(1)} already exists in the repository: change it with a diff against its lines. {HOW}"
    if (corrupt := _CORRUPT.search(message)) is not None:
        number = int(corrupt.group(1))
        lines = diff.split("\n")
        line = lines[number - 1][:_LINE_CHARS] if 0 < number <= len(lines) else ""
        return (f"line {number} of the diff ({line!r}) is neither a header nor a hunk line (each starts with ' ', "
                f"'+' or '-'). {HOW}")  # fmt: skip
    return f"{message[:1000]} {HOW}"
