"""GitHub as evidence: the repository's recent deployments (or its recent commits when it has none) and a commit's
diff, for get_recent_deploys and get_diff; bounded like every source's answer, failures as SourceError."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.github_api import DIFF, GitHubApi, GitHubError, github_configured
from bot.settings import Settings
from bot.sources.base import SourceError
from bot.sources.bounded import Caps, compact, cut, keep_within

__all__ = ["GitHubSource", "github_source"]

_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_KINDS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "unprocessable",
          429: "rate_limited"}  # fmt: skip
_ENVELOPE = 600  # bytes the answer's other fields may take next to the diff


def github_source(settings: Settings) -> GitHubSource | None:
    """The GitHub provider when GITHUB_TOKEN and GITHUB_REPO are set, else None (the data tools answer from files)."""
    if not github_configured(settings):
        return None
    return GitHubSource(token=settings.github_token, repo=settings.github_repo, api_url=settings.github_api_url)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class GitHubSource:
    """One repository on GitHub, read with the bot's token: deployments, commits and diffs."""

    name = "github"

    def __init__(self, *, token: str, repo: str, api_url: str = "https://api.github.com", max_deploys: int = 10,
                 max_commits: int = 20, commit_hours: int = 72, caps: Caps = Caps(),
                 clock: Callable[[], float] = time.time,
                 session: aiohttp.ClientSession | None = None) -> None:  # fmt: skip
        self.repo = repo
        self.max_deploys = max_deploys
        self.max_commits = max_commits
        self.commit_hours = commit_hours
        self.caps = caps
        self._clock = clock
        self._api = GitHubApi(token=token, repo=repo, api_url=api_url, session=session, timeout=30.0)

    async def aclose(self) -> None:
        """Close the HTTP session."""
        await self._api.aclose()

    async def recent_deploys(self) -> dict[str, Any]:
        """The newest deployments with each one's latest status; the newest commits when there are no deployments."""
        found = await self._get("/deployments", params={"per_page": str(self.max_deploys)})
        if not isinstance(found, list):
            raise SourceError(self.name, "bad_response", "GitHub answered the deployments list with no list")
        if not found:
            return await self._recent_commits()
        deploys = [await self._deploy(d) for d in found[: self.max_deploys] if isinstance(d, dict)]

        def build(chosen: list[dict[str, Any]]) -> dict[str, Any]:
            answer = {"source": "github_deployments", "repository": self.repo, "deploys": chosen,
                      "truncated": len(chosen) < len(deploys)}  # fmt: skip
            if len(found) >= self.max_deploys:
                answer["note"] = f"the newest {self.max_deploys} deployments; older ones were not read"
            return answer

        return keep_within(deploys, build, self.caps.max_bytes)

    async def diff(self, commit: object) -> dict[str, Any]:
        """A commit's diff (whole lines, cut to the answer's size cap), or SourceError."""
        sha = commit.strip() if isinstance(commit, str) else ""
        if not _SHA.fullmatch(sha):
            raise SourceError(self.name, "invalid_input", f"commit must be a commit sha (7 to 40 hexadecimal "
                                                          f"characters), not {str(commit)[:80]!r}")  # fmt: skip
        room = max(1000, self.caps.max_bytes - _ENVELOPE)
        try:
            text, more = await self._api.text_upto(f"/commits/{sha}", accept=DIFF, max_bytes=room)
        except GitHubError as exc:
            raise self._error(exc) from None
        answer: dict[str, Any] = {"commit": sha, "repository": self.repo, "diff": text, "truncated": more}
        if more:
            kept = text[: text.rfind("\n") + 1] or text
            answer.update(diff=kept, note=f"the diff is longer than {room:,} bytes: only its start is shown")
        return answer

    async def check(self) -> str:
        """One line saying the repository answers with this token (and whether PRs can be pushed), or SourceError."""
        data = await self._get("")
        push = (data.get("permissions") or {}).get("push") if isinstance(data, dict) else None
        if not isinstance(data, dict) or "full_name" not in data:
            raise SourceError(self.name, "bad_response", "GitHub answered the repository with no full_name")
        can = "" if push is not False else "; the token cannot push, so pull requests cannot be opened"
        return f"GitHub repository {data['full_name']} answers (default branch {data.get('default_branch')}){can}"

    async def _recent_commits(self) -> dict[str, Any]:
        since = _iso(self._clock() - self.commit_hours * 3600)
        found = await self._get("/commits", params={"since": since, "per_page": str(self.max_commits)})
        commits = [self._commit(c) for c in found if isinstance(c, dict)] if isinstance(found, list) else []

        def build(chosen: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "source": "commits", "repository": self.repo, "deploys": [], "since": since, "commits": chosen,
                "truncated": len(chosen) < len(commits) or len(commits) >= self.max_commits,
                "note": f"the repository has no GitHub deployments: these are the commits on its default branch "
                        f"in the last {self.commit_hours} hours (newest first), not deploys",
            }  # fmt: skip

        return keep_within(commits, build, self.caps.max_bytes)

    async def _deploy(self, d: dict[str, Any]) -> dict[str, Any]:
        """One deployment as the agent reads it, with its latest status (GitHub lists statuses newest first)."""
        number = d.get("id")
        statuses = await self._get(f"/deployments/{number}/statuses", params={"per_page": "1"}) \
            if isinstance(number, int) and not isinstance(number, bool) else []
        latest = statuses[0] if isinstance(statuses, list) and statuses and isinstance(statuses[0], dict) else {}
        record: dict[str, Any] = {
            "id": d.get("id"), "commit": d.get("sha"), "ref": d.get("ref"), "environment": d.get("environment"),
            "task": d.get("task"), "description": cut(str(d.get("description") or ""), 500)[0],
            "author": (d.get("creator") or {}).get("login"), "deployed_at": d.get("created_at"),
            "state": latest.get("state") or "no status yet", "state_at": latest.get("created_at"),
        }  # fmt: skip
        payload = d.get("payload")
        if payload not in (None, "", {}):
            text = compact(payload)
            record["payload"] = payload if len(text) <= 1000 else cut(text, 1000)[0]
        return record

    @staticmethod
    def _commit(c: dict[str, Any]) -> dict[str, Any]:
        detail = c.get("commit") or {}
        who = (c.get("author") or {}).get("login") or (detail.get("author") or {}).get("name")
        message = str(detail.get("message") or "").strip()
        return {"commit": c.get("sha"), "author": who, "committed_at": (detail.get("committer") or {}).get("date"),
                "message": cut(message.split("\n", 1)[0], 300)[0]}  # fmt: skip

    async def _get(self, path: str, *, params: dict[str, str] | None = None) -> Any:
        try:
            return await self._api.call("GET", path, params=params)
        except GitHubError as exc:
            raise self._error(exc) from None

    def _error(self, exc: GitHubError) -> SourceError:
        status = exc.status
        kind = "unreachable" if status is None else _KINDS.get(status, "unavailable" if status >= 500 else "http_error")
        return SourceError(self.name, kind, str(exc), status=status)
