"""Pull requests in a real local git repository: a PR is a branch with the agent's diff applied by `git apply`."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["GitError", "LocalPullRequests", "PullRequestInfo", "PullRequestStore", "diff_sha256", "run_git"]

_TRAILER = "Tool-Use-Id"


class GitError(RuntimeError):
    """A git command failed; the message is what git said (shown to the agent as an error result)."""


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    number: int
    title: str
    branch: str
    url: str
    diff_sha256: str
    merged: bool
    diff: str = ""  # the text diff_sha256 is the hash of: what a merge brings in, as the store shows it


class PullRequestStore(Protocol):
    """Where PRs live: a local git repository (default) or GitHub. Errors raise GitError with a readable message."""

    async def ensure_repo(self, session_id: str, source: Path) -> object: ...
    async def open(self, session_id: str, *, title: str, body: str, diff: str, tool_use_id: str) -> PullRequestInfo: ...
    async def info(self, session_id: str, number: int) -> PullRequestInfo | None: ...
    async def merge(self, session_id: str, number: int) -> str: ...
    async def is_merged(self, session_id: str, number: int) -> bool: ...


def diff_sha256(diff: str) -> str:
    """The fingerprint an approval is bound to."""
    return hashlib.sha256(diff.encode()).hexdigest()


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "incident-bot",
    "GIT_AUTHOR_EMAIL": "incident-bot@localhost",
    "GIT_COMMITTER_NAME": "incident-bot",
    "GIT_COMMITTER_EMAIL": "incident-bot@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


async def run_git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git without blocking the event loop, as the bot's own identity; GitError carries git's message."""
    proc = await asyncio.create_subprocess_exec(
        "git", *args, cwd=cwd, env={**os.environ, **_GIT_ENV, "HOME": str(cwd)},
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate(stdin)
    if proc.returncode != 0:
        raise GitError(f"git {args[0]}: {(err or out).decode(errors='replace').strip()}")
    return out.decode(errors="replace")


class LocalPullRequests:
    """One git repository per incident under `root`, seeded from the incident's infra files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}

    def repo_path(self, session_id: str) -> Path:
        return self.root / re.sub(r"[^A-Za-z0-9_.-]", "_", session_id)

    def _lock(self, session_id: str) -> asyncio.Lock:
        return self._locks.setdefault(session_id, asyncio.Lock())

    async def _git(self, repo: Path, *args: str, stdin: bytes | None = None) -> str:
        return await run_git(repo, *args, stdin=stdin)

    async def ensure_repo(self, session_id: str, source: Path) -> Path:
        """Create the incident's repository from the infra files once; later calls reuse it."""
        repo = self.repo_path(session_id)
        async with self._lock(session_id):
            if (repo / ".git").is_dir():
                return repo
            tmp = Path(tempfile.mkdtemp(prefix=".init-", dir=self._ensure_root()))
            if source.is_dir():
                shutil.copytree(source, tmp, dirs_exist_ok=True)
            await self._git(tmp, "init", "-q", "-b", "main")
            await self._git(tmp, "add", "-A")
            await self._git(tmp, "commit", "-q", "--allow-empty", "-m", "Initial import of the infra repository")
            tmp.rename(repo)  # atomic: a crash never leaves a half-made repository behind
            return repo

    def _ensure_root(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    async def _branches(self, repo: Path) -> list[int]:
        out = await self._git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/pr/")
        return sorted(int(b.split("/")[1]) for b in out.split() if b.split("/")[-1].isdigit())

    async def _find_by_tool_use(self, repo: Path, tool_use_id: str) -> int | None:
        for number in await self._branches(repo):
            msg = await self._git(repo, "log", "-1", "--format=%B", f"pr/{number}")
            if f"{_TRAILER}: {tool_use_id}" in msg:
                return number
        return None

    async def open(
        self, session_id: str, *, title: str, body: str, diff: str, tool_use_id: str
    ) -> PullRequestInfo:
        """Open a PR: a new branch from main with the diff applied. The same tool call never opens two."""
        repo = self.repo_path(session_id)
        async with self._lock(session_id):
            existing = await self._find_by_tool_use(repo, tool_use_id)
            if existing is not None:
                return await self._info(repo, existing)
            numbers = await self._branches(repo)
            number = (numbers[-1] + 1) if numbers else 1
            branch = f"pr/{number}"
            # Start from main exactly: a bot killed mid-open may have left a staged diff or new files behind.
            await self._git(repo, "checkout", "-q", "-f", "-B", "_work", "main")
            await self._git(repo, "clean", "-q", "-f", "-d")
            try:
                patch = diff if diff.endswith("\n") else diff + "\n"
                await self._git(repo, "apply", "--index", "--whitespace=nowarn", "-", stdin=patch.encode())
                message = f"{title}\n\n{body}\n\n{_TRAILER}: {tool_use_id}\n"
                await self._git(repo, "commit", "-q", "-m", message)
                await self._git(repo, "branch", "-q", branch, "_work")
            finally:
                await self._git(repo, "reset", "-q", "--hard")
                await self._git(repo, "checkout", "-q", "main")
                await self._git(repo, "branch", "-q", "-D", "_work")
            return await self._info(repo, number)

    async def current_diff(self, session_id: str, number: int) -> str:
        """The PR's diff against the main it branched from, as it stands now."""
        repo = self.repo_path(session_id)
        base = await self._git(repo, "merge-base", "main", f"pr/{number}")
        return await self._git(repo, "diff", base.strip(), f"pr/{number}")

    async def _info(self, repo: Path, number: int) -> PullRequestInfo:
        branch = f"pr/{number}"
        # Concurrently: a click waits on this before its decision is sent. `main...pr/N` diffs from the merge base.
        head, base, diff = await asyncio.gather(
            self._git(repo, "log", "-1", "--format=%H%n%s", branch),
            self._git(repo, "merge-base", "main", branch),
            self._git(repo, "diff", f"main...{branch}"),
        )
        commit, _, title = head.partition("\n")
        return PullRequestInfo(
            number=number,
            title=title.strip(),
            branch=branch,
            url=f"{repo.resolve().as_uri()}#{branch}",
            diff_sha256=diff_sha256(diff),
            merged=commit.strip() == base.strip(),
            diff=diff,
        )

    async def info(self, session_id: str, number: int) -> PullRequestInfo | None:
        """A PR's current state, or None if there is no such PR."""
        repo = self.repo_path(session_id)
        if not (repo / ".git").is_dir():
            return None
        try:
            return await self._info(repo, number)
        except GitError:
            if number not in await self._branches(repo):
                return None
            raise

    async def merge(self, session_id: str, number: int) -> str:
        """Merge the PR into main (a merge commit); returns main's new head."""
        repo = self.repo_path(session_id)
        async with self._lock(session_id):
            await self._git(repo, "checkout", "-q", "main")
            await self._git(repo, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", f"pr/{number}")
            return (await self._git(repo, "rev-parse", "HEAD")).strip()

    async def is_merged(self, session_id: str, number: int) -> bool:
        """True when the PR's head is part of main."""
        repo = self.repo_path(session_id)
        try:
            await self._git(repo, "merge-base", "--is-ancestor", f"pr/{number}", "main")
        except GitError:
            return False
        return True
