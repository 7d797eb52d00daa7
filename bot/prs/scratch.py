"""A diff applied in a scratch folder that holds only the files it touches (the GitHub store's way): which paths
those are, read each way the diff may be applied, none outside the folder; and what is at each afterwards."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from bot.prs.base import GitError
from bot.prs.git import run_git
from bot.prs.patching import DiffDoesNotApply, parse_variants, unreadable

__all__ = ["Change", "change_at", "read_base", "touched_paths"]


class Change(NamedTuple):
    """What is at one path after the diff: its bytes and git mode, or None for a deleted file."""

    path: str
    mode: str
    content: bytes | None  # None: the file is deleted


async def touched_paths(work: Path, diff: str) -> list[str]:
    """Every path the diff touches, read each way apply_diff may read it (a way that cannot parse it is skipped)."""
    paths: list[str] = []
    failure: GitError | None = None
    for flags, patch in parse_variants(diff):
        try:
            paths += _numstat_paths(await run_git(work, "apply", "--numstat", "-z", *flags, "-", stdin=patch))
        except GitError as exc:
            if "refusing to patch" in str(exc):
                raise
            failure = failure or exc  # the diff as written: its line numbers are the agent's
    if not paths and failure is not None:
        raise DiffDoesNotApply(unreadable(str(failure), diff))
    return list(dict.fromkeys(paths))


async def read_base(work: Path, path: str) -> str | None:
    """A base file the scratch folder holds (regular files only, never outside it)."""
    target = work / path
    inside = target.resolve().is_relative_to(work.resolve()) and not target.is_symlink()
    if not inside or not target.is_file():
        return None
    data = await asyncio.to_thread(target.read_bytes)
    return data.decode(errors="replace")  # as git reads it: line endings kept


def _numstat_paths(out: str) -> list[str]:
    """Every path a diff touches (both sides of a rename), from `git apply --numstat -z`; refuses unsafe paths."""
    fields, paths = out.split("\0"), []
    i = 0
    while i < len(fields) and fields[i]:
        name = fields[i].rsplit("\t", 1)[1]
        if name:
            paths.append(name)
            i += 1
        else:  # a rename: "added\tdeleted\t" then the old and new names
            paths += fields[i + 1 : i + 3]
            i += 3
    for path in paths:
        parts = PurePosixPath(path).parts
        if not parts or path.startswith("/") or ".." in parts or any(p.lower() == ".git" for p in parts):
            raise GitError(f"git apply: refusing to patch {path!r} outside the repository")
    return list(dict.fromkeys(paths))


def change_at(work: Path, path: str, before: tuple[str, str] | None) -> Change | None:
    """What is at one path after `git apply`: its bytes and mode, a deletion, or None (never existed)."""
    target = work / path
    if target.is_symlink():
        raise GitError(f"{path}: the bot cannot create symbolic links on GitHub")
    if not target.is_file():
        return None if before is None else Change(path, before[0], None)
    mode = "100755" if os.access(target, os.X_OK) else "100644"
    return Change(path, mode, target.read_bytes())

