"""Git on files the agent wrote: nothing in a repository can configure git, run a command, or see the bot's tokens."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import os
import shutil
import tempfile
from pathlib import Path

from bot.prs.base import GitError
from bot.settings import child_path

__all__ = ["git_environment", "run_git"]


# On every call. With no global or system config, git's only configuration is this and the repository's own
# .git/config, which the bot writes and a diff cannot reach (git apply refuses paths in .git): so the filter, diff
# and merge drivers an in-tree .gitattributes may name stay undefined and run nothing.
_LOCKDOWN = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.attributesFile=/dev/null",
    "core.excludesFile=/dev/null",
    "core.pager=cat",
    "core.editor=:",  # ":" is git's own "no editor"
    "core.askPass=",
    "credential.helper=",
    "protocol.allow=never",  # no fetch, push or submodule transport of any kind
    "safe.bareRepository=explicit",
    "gc.auto=0",  # and no background gc or maintenance outliving the call
    "maintenance.auto=false",
    "commit.gpgSign=false",
)
_IDENTITY = {
    "GIT_AUTHOR_NAME": "incident-bot",
    "GIT_AUTHOR_EMAIL": "incident-bot@localhost",
    "GIT_COMMITTER_NAME": "incident-bot",
    "GIT_COMMITTER_EMAIL": "incident-bot@localhost",
}


@functools.cache
def _empty_home() -> str:
    """A private folder, made once per process, that stays empty: git's HOME and XDG_CONFIG_HOME."""
    home = tempfile.mkdtemp(prefix="incident-bot-git-home-")
    os.chmod(home, 0o500)  # read-only: nothing, git included, is meant to write a file there
    atexit.register(_remove, home)
    return home


def _remove(folder: str) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def _absolute_path() -> str:
    """The bot's PATH without relative entries ("" or "." would find programs in the repository itself)."""
    return os.pathsep.join(d for d in child_path().split(os.pathsep) if os.path.isabs(d))


def git_environment(cwd: Path) -> dict[str, str]:
    """The whole environment of a git child: nothing inherited but PATH, and no token."""
    if not os.path.isdir(home := _empty_home()):
        _empty_home.cache_clear()  # a temp cleaner removed it
        home = _empty_home()
    return {
        "PATH": _absolute_path(),
        "LANG": "C",
        "LC_ALL": "C",
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(cwd.absolute().parent),  # never a repository above the one meant
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_EDITOR": ":",
        **_IDENTITY,
    }


async def run_git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git without blocking the event loop, as the bot's own identity; GitError carries git's message."""
    env = git_environment(cwd)
    git = shutil.which("git", path=env["PATH"])
    if git is None:
        raise GitError("git is not installed (not found on PATH)")
    lockdown = [arg for setting in _LOCKDOWN for arg in ("-c", setting)]
    proc = await asyncio.create_subprocess_exec(
        git, *lockdown, *args, cwd=cwd, env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate(stdin)
    if proc.returncode != 0:
        raise GitError(f"git {args[0]}: {(err or out).decode(errors='replace').strip()}")
    return out.decode(errors="replace")
