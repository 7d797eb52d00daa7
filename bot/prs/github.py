"""Pull requests on GitHub (REST API v3): the agent's diff becomes blobs, a tree, a commit, a branch and a PR."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.github_api import JSON, GitHubApi, GitHubError
from bot.prs.base import GitError, PullRequestInfo, PullRequestStore, commit_message, diff_sha256
from bot.prs.git import run_git
from bot.prs.patching import apply_diff
from bot.prs.scratch import Change, change_at, read_base, touched_paths

__all__ = ["GitHubPullRequests", "GitHubRepository"]

_DIFF = "application/vnd.github.v3.diff"
_BRANCH_PREFIX = "incident-bot/"


@dataclass(frozen=True, slots=True)
class GitHubRepository:
    full_name: str
    default_branch: str
    html_url: str
    can_push: bool | None


class GitHubPullRequests(PullRequestStore):
    """PullRequestStore over GitHub's REST API; one repository, PR branches named incident-bot/<tool_use_id>."""

    def __init__(self, *, token: str, repo: str, api_url: str = "https://api.github.com",
                 session: aiohttp.ClientSession | None = None, retries: int = 2, max_retry_wait: float = 60.0) -> None:
        self._api = GitHubApi(token=token, repo=repo, api_url=api_url, session=session, retries=retries,
                              max_retry_wait=max_retry_wait)  # fmt: skip
        self.repo = repo
        self._repository: GitHubRepository | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        """Close the HTTP session if this object made it."""
        await self._api.aclose()

    # -- PullRequestStore ------------------------------------------------------------------------
    async def ensure_repo(self, session_id: str, source: Path | None) -> GitHubRepository:
        """Check the repository is reachable with this token; `source` is unused (GitHub holds the files)."""
        data = await self._call("GET", "")
        self._repository = GitHubRepository(
            full_name=data["full_name"], default_branch=data["default_branch"], html_url=data["html_url"],
            can_push=(data.get("permissions") or {}).get("push"),
        )  # fmt: skip
        return self._repository

    async def open(self, session_id: str, *, title: str, body: str, diff: str, tool_use_id: str) -> PullRequestInfo:
        """Open a PR from the default branch with the diff applied; the same tool call never opens two."""
        branch = _BRANCH_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", tool_use_id)[:200]
        async with self._locks.setdefault(branch, asyncio.Lock()):
            number = await self._find_pull(branch)
            if number is None:
                number = await self._create_pull(branch, title=title, body=body, diff=diff, tool_use_id=tool_use_id)
        info = await self.info(session_id, number)
        if info is None:
            raise GitError(f"GitHub: pull request #{number} vanished right after it was opened")
        return info

    async def info(self, session_id: str, number: int) -> PullRequestInfo | None:
        """The PR's state and the SHA-256 of its current diff, or None if there is no such PR."""
        pr = await self._call("GET", f"/pulls/{number}", missing_ok=True)
        if pr is None:
            return None
        diff = await self._call("GET", f"/pulls/{number}", accept=_DIFF)
        return PullRequestInfo(
            number=int(pr["number"]), title=pr["title"], branch=pr["head"]["ref"], url=pr["html_url"],
            diff_sha256=diff_sha256(diff), merged=bool(pr.get("merged")), diff=diff,
            head_sha=pr["head"]["sha"],  # read before the diff: a push after it makes GitHub refuse the merge
        )  # fmt: skip

    async def merge(self, session_id: str, number: int, *, head_sha: str) -> str:
        """Merge with a merge commit, only if the PR's head is still head_sha (the checked one); the merge commit."""
        data = await self._call("PUT", f"/pulls/{number}/merge", body={"sha": head_sha, "merge_method": "merge"})
        return str(data["sha"])

    async def is_merged(self, session_id: str, number: int) -> bool:
        """GitHub's own answer: 204 merged, 404 not."""
        return await self._call("GET", f"/pulls/{number}/merge", missing_ok=True) is not None

    def location(self, session_id: str) -> str:
        """The repository's page (its name until ensure_repo has read it); one repository serves every incident."""
        return f"GitHub: {self._repository.html_url if self._repository else self.repo}"

    # -- opening a PR --------------------------------------------------------------------------------
    async def _find_pull(self, branch: str) -> int | None:
        owner = self.repo.split("/")[0]
        found = await self._call("GET", "/pulls", params={"head": f"{owner}:{branch}", "state": "all"})
        return int(found[0]["number"]) if found else None

    async def _create_pull(self, branch: str, *, title: str, body: str, diff: str, tool_use_id: str) -> int:
        base_branch = (self._repository or await self.ensure_repo("", Path())).default_branch
        if await self._ref(branch) is None:  # else a crash left the branch without its PR: reuse it
            base = await self._ref(base_branch)
            if base is None:
                raise GitError(f"GitHub: the default branch {base_branch!r} has no commits")
            message = commit_message(title=title, body=body, tool_use_id=tool_use_id)
            head = await self._commit_diff(base, diff, message)
            await self._call("POST", "/git/refs", body={"ref": f"refs/heads/{branch}", "sha": head})
        new = {"title": title, "head": branch, "base": base_branch, "body": body}
        pr = await self._call("POST", "/pulls", body=new)
        return int(pr["number"])

    async def _ref(self, branch: str) -> str | None:
        data = await self._call("GET", f"/git/ref/heads/{quote(branch, safe='/')}", missing_ok=True)
        return None if data is None else str(data["object"]["sha"])

    async def _commit_diff(self, base: str, diff: str, message: str) -> str:
        base_tree = (await self._call("GET", f"/git/commits/{base}"))["tree"]["sha"]
        entries = []
        for change in await self._apply(base, base_tree, diff):
            sha = None
            if change.content is not None:
                blob = {"content": base64.b64encode(change.content).decode(), "encoding": "base64"}
                sha = (await self._call("POST", "/git/blobs", body=blob))["sha"]
            entries.append({"path": change.path, "mode": change.mode, "type": "blob", "sha": sha})
        tree = await self._call("POST", "/git/trees", body={"base_tree": base_tree, "tree": entries})
        commit = {"message": message, "tree": tree["sha"], "parents": [base]}
        return str((await self._call("POST", "/git/commits", body=commit))["sha"])

    async def _apply(self, base: str, base_tree: str, diff: str) -> list[Change]:
        """Apply the diff with `git apply` to the touched files as they are at `base`; the files that changed."""
        work = Path(tempfile.mkdtemp(prefix="incident-bot-gh-"))
        try:
            await run_git(work, "init", "-q")
            paths = await touched_paths(work, diff)
            known = await self._entries(base_tree, paths)
            for path, (mode, _) in known.items():
                target = work / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(await self._content(path, base))
                target.chmod(0o755 if mode == "100755" else 0o644)
            # No --3way: the scratch folder holds the base's files but not their history.
            await apply_diff(work, diff, index=False, three_way=False, current=lambda p: read_base(work, p))
            return [c for p in paths if (c := change_at(work, p, known.get(p))) is not None]
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    async def _entries(self, tree: str, paths: list[str]) -> dict[str, tuple[str, str]]:
        """(mode, blob sha) of the paths that exist in the tree, walking only the directories on their way."""
        listings: dict[str, dict[str, tuple[str, str, str]]] = {}

        async def listing(directory: str, sha: str | None) -> dict[str, tuple[str, str, str]]:
            if directory not in listings:
                data = await self._call("GET", f"/git/trees/{sha}") if sha else {"tree": []}
                listings[directory] = {e["path"]: (e["mode"], e["type"], e["sha"]) for e in data["tree"]}
            return listings[directory]

        found: dict[str, tuple[str, str]] = {}
        for path in paths:
            *dirs, name = path.split("/")
            entries, here = await listing("", tree), ""
            for part in dirs:
                sub = entries.get(part)
                here = f"{here}/{part}"
                entries = await listing(here, sub[2] if sub and sub[1] == "tree" else None)
            if (entry := entries.get(name)) is not None:
                if entry[1] != "blob" or entry[0] not in ("100644", "100755"):
                    raise GitError(f"{path} is not a regular file (mode {entry[0]}); only files can be patched")
                found[path] = (entry[0], entry[2])
        return found

    async def _content(self, path: str, ref: str) -> bytes:
        data = await self._call("GET", f"/contents/{quote(path)}", params={"ref": ref})
        if not isinstance(data, dict) or data.get("encoding") != "base64":
            raise GitError(f"GitHub: {path} cannot be fetched as a file (too large or not a file)")
        return base64.b64decode(data["content"])

    # -- HTTP ------------------------------------------------------------------------------------------
    async def _call(self, method: str, path: str, *, body: Any = None, params: dict[str, str] | None = None,
                    accept: str = JSON, missing_ok: bool = False) -> Any:
        """GitHubApi.call, its errors as GitError (what the PR tools show the agent)."""
        try:
            return await self._api.call(method, path, body=body, params=params, accept=accept, missing_ok=missing_ok)
        except GitHubError as exc:
            raise GitError(str(exc)) from None
