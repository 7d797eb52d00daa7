"""What every PR store is: the protocol the tools, the approval gate and the demo use, whichever store they hold."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["GitError", "PullRequestInfo", "PullRequestStore", "commit_message", "diff_sha256", "tool_use_trailer"]

_TRAILER = "Tool-Use-Id"


class GitError(RuntimeError):
    """A git command or the PR store failed; the message is readable (shown to the agent as an error result)."""


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    number: int
    title: str
    branch: str
    url: str
    diff_sha256: str
    merged: bool
    head_sha: str  # the commit whose diff diff_sha256 is: merge() lands exactly this one
    diff: str = ""  # the text diff_sha256 is the hash of: what a merge brings in, as the store shows it


def diff_sha256(diff: str) -> str:
    """The fingerprint an approval is bound to."""
    return hashlib.sha256(diff.encode()).hexdigest()


def tool_use_trailer(tool_use_id: str) -> str:
    """The commit trailer naming the tool call a PR was opened for: how a store finds it again (one call, one PR)."""
    return f"{_TRAILER}: {tool_use_id}"


def commit_message(*, title: str, body: str, tool_use_id: str) -> str:
    """A PR's commit message: title, body and the Tool-Use-Id trailer, blank parts left out (as git would)."""
    return "\n\n".join(p for p in (title, body, tool_use_trailer(tool_use_id)) if p.strip()) + "\n"


class PullRequestStore(ABC):
    """Where PRs live: a local git repository (default) or GitHub. Errors raise GitError with a readable message.

    Use it as `async with store:` or call `aclose()` when done, whichever store it is.
    """

    @abstractmethod
    async def ensure_repo(self, session_id: str, source: Path | None) -> object:
        """Make the incident's repository ready (from the infra files in `source` where the store keeps them)."""

    @abstractmethod
    async def open(self, session_id: str, *, title: str, body: str, diff: str, tool_use_id: str) -> PullRequestInfo:
        """Open a PR with the diff applied; the same tool_use_id never opens two."""

    @abstractmethod
    async def info(self, session_id: str, number: int) -> PullRequestInfo | None:
        """A PR's current state and diff, or None if there is no such PR."""

    @abstractmethod
    async def merge(self, session_id: str, number: int, *, head_sha: str) -> str:
        """Merge the PR only if its head is still head_sha (the checked one); the resulting commit."""

    @abstractmethod
    async def is_merged(self, session_id: str, number: int) -> bool:
        """True when the PR has been merged."""

    @abstractmethod
    def location(self, session_id: str) -> str:
        """Where the incident's PRs are, for a person to read: 'git repository: <folder>' or 'GitHub: <url>'."""

    async def aclose(self) -> None:
        """Release what the store holds (an HTTP session); a store that holds nothing has nothing to do."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
