"""Pull requests in a real local git repository: a PR is a branch with the agent's diff applied by `git apply`
(bot/prs/patching.py)."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from pathlib import Path

from bot.prs.base import (
    GitError, PullRequestInfo, PullRequestStore, commit_message, diff_sha256, tool_use_trailer,
)
from bot.prs.git import run_git
from bot.prs.patching import apply_diff

__all__ = ["LocalPullRequests"]


class LocalPullRequests(PullRequestStore):
    """One git repository per incident under `root`, seeded from the incident's infra files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}

    def repo_path(self, session_id: str) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", session_id)
        # never "", "." or "..", nor a hidden name like the half-made ".init-" folders
        return self.root / (name if name[:1].isalnum() or name[:1] == "_" else "_" + name)

    def location(self, session_id: str) -> str:
        """The incident's repository folder, for a person to read."""
        return f"git repository: {self.repo_path(session_id)}"

    def _lock(self, session_id: str) -> asyncio.Lock:
        return self._locks.setdefault(session_id, asyncio.Lock())

    async def _git(self, repo: Path, *args: str, stdin: bytes | None = None) -> str:
        return await run_git(repo, *args, stdin=stdin)

    async def ensure_repo(self, session_id: str, source: Path | None) -> Path:
        """Create the incident's repository from the infra files once; later calls reuse it."""
        repo = self.repo_path(session_id)
        async with self._lock(session_id):
            if (repo / ".git").is_dir():
                return repo
            tmp = Path(tempfile.mkdtemp(prefix=".init-", dir=self._ensure_root()))
            if source is not None and source.is_dir():
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
            if tool_use_trailer(tool_use_id) in msg:
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
            await self._clean(repo)
            try:
                await apply_diff(repo, diff, index=True, three_way=True, reset=lambda: self._clean(repo),
                                 current=lambda path: self._file_on_main(repo, path))  # fmt: skip
                message = commit_message(title=title, body=body, tool_use_id=tool_use_id)
                await self._git(repo, "commit", "-q", "-m", message)
                await self._git(repo, "branch", "-q", branch, "_work")
            finally:
                await self._git(repo, "reset", "-q", "--hard")
                await self._git(repo, "checkout", "-q", "main")
                await self._git(repo, "branch", "-q", "-D", "_work")
            return await self._info(repo, number)

    async def _clean(self, repo: Path) -> None:
        """Back to the checked-out commit exactly: nothing staged, changed or untracked."""
        await self._git(repo, "reset", "-q", "--hard")
        await self._git(repo, "clean", "-q", "-f", "-d")

    async def _file_on_main(self, repo: Path, path: str) -> str | None:
        """A file as main holds it (from git's objects: a link is its target's name, never what it points at)."""
        try:
            return await self._git(repo, "cat-file", "blob", f"main:{path}")
        except GitError:
            return None

    async def current_diff(self, session_id: str, number: int) -> str:
        """The PR's diff against the main it branched from, as it stands now."""
        repo = self.repo_path(session_id)
        base = await self._git(repo, "merge-base", "main", f"pr/{number}")
        return await self._git(repo, "diff", "--no-ext-diff", "--no-textconv", base.strip(), f"pr/{number}")

    async def _info(self, repo: Path, number: int) -> PullRequestInfo:
        branch = f"pr/{number}"
        head = await self._git(repo, "log", "-1", "--format=%H%n%s", branch)
        commit, _, title = head.partition("\n")
        commit = commit.strip()  # then the diff of this very commit; `main...<head>` diffs from the merge base
        base, diff = await asyncio.gather(  # concurrently: a click waits on this before its decision is sent
            self._git(repo, "merge-base", "main", commit),
            self._git(repo, "diff", "--no-ext-diff", "--no-textconv", f"main...{commit}"),
        )
        return PullRequestInfo(
            number=number,
            title=title.strip(),
            branch=branch,
            url=f"{repo.resolve().as_uri()}#{branch}",
            diff_sha256=diff_sha256(diff),
            merged=commit == base.strip(),
            head_sha=commit,
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

    async def merge(self, session_id: str, number: int, *, head_sha: str) -> str:
        """Merge the PR's head_sha, the head that was checked, into main (a merge commit); returns main's new head."""
        repo = self.repo_path(session_id)
        async with self._lock(session_id):
            try:
                now = (await self._git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/pr/{number}")).strip()
            except GitError:
                raise GitError(f"there is no pull request #{number}") from None
            if now != head_sha:
                raise GitError(f"PR #{number} changed since it was checked (checked {head_sha[:12]}, now {now[:12]})")
            await self._git(repo, "checkout", "-q", "main")
            await self._git(repo, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", now)
            return (await self._git(repo, "rev-parse", "HEAD")).strip()

    async def is_merged(self, session_id: str, number: int) -> bool:
        """True when the PR's head is part of main."""
        repo = self.repo_path(session_id)
        try:
            await self._git(repo, "merge-base", "--is-ancestor", f"pr/{number}", "main")
        except GitError:
            return False
        return True
