"""GitHubStandin: the GitHub REST endpoints incident-bot uses, on loopback, over a real git repository, and the
repository over git's smart HTTP for cloning.

Each endpoint follows GitHub's REST reference (docs.github.com/rest, API version 2022-11-28): repositories, git
database, contents, pulls, deployments and deployment statuses, commits, pagination and media types; githttp.py
names what cloning follows. Anything else is refused with 404 and recorded as unhandled."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from standins.loopback import serve_on_loopback

from . import commits, deployments, gitdata, githttp, pulls
from .errors import gh_error
from .gitstore import GitFailed, GitStore
from .state import STATE, Deployment, DeploymentStatus, Fault, Repository, request_matches

__all__ = ["GitHubStandin", "RecordedRequest"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int
    handled: bool = True


class GitHubStandin:
    """A local GitHub for one repository: checks the bearer token, records requests, refuses the rest with 404."""

    def __init__(self, *, repo: str, source: Path, token: str = "ghp_test", default_branch: str = "main") -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name:
            raise ValueError("repo must be 'owner/name'")
        self.token = token
        self.source = source
        self.requests: list[RecordedRequest] = []
        self.api_url = ""
        self._root = Path(tempfile.mkdtemp(prefix="gh-standin-"))
        self.state = Repository(owner=owner, name=name, default_branch=default_branch, git=GitStore(self._root))
        self._runner: web.AppRunner | None = None
        self._before: list[tuple[str, Callable[[], Awaitable[object]]]] = []

    @property
    def repo_dir(self) -> Path:
        """The bare git repository behind the API."""
        return self.state.git.path

    async def start(self) -> str:
        """Create the repository from `source`, listen on 127.0.0.1 (a free port); returns the API base URL."""
        await self.state.git.create(self.source, branch=self.state.default_branch)
        app = web.Application(middlewares=[self._middleware])
        prefix = "/repos/{owner}/{repo}"
        for module in (gitdata, pulls, deployments, commits):
            module.register(app.router, prefix)
        githttp.register(app.router)
        app[STATE] = self.state
        app[githttp.TOKEN] = self.token
        self._runner, port = await serve_on_loopback(app)
        self.api_url = f"http://127.0.0.1:{port}"
        return self.api_url

    async def stop(self) -> None:
        """Stop listening and delete the repository."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        shutil.rmtree(self._root, ignore_errors=True)

    # -- controls for tests ----------------------------------------------------------------------
    def fail_next(self, status: int, message: str, *, retry_after: int | None = None, times: int = 1,
                  on: str | None = None) -> None:
        """Answer the next `times` requests (only "METHOD /path-suffix" ones if `on`) with this GitHub error."""
        self.state.faults.extend(Fault(status, message, retry_after, on) for _ in range(times))

    def before(self, on: str, action: Callable[[], Awaitable[object]]) -> None:
        """Await action() before answering the next "METHOD /path-suffix" request: a test's move inside a window."""
        self._before.append((on, action))

    async def push_commit(self, branch: str, path: str, content: str, *, message: str = "Push from a person") -> str:
        """Commit one file onto a branch, like a `git push` by someone else; returns the new head."""
        git = self.state.git
        async with self.state.lock:
            head = await git.resolve(f"refs/heads/{branch}")
            if head is None:
                raise ValueError(f"no branch {branch!r}")
            blob = await git.text("hash-object", "-w", "--stdin", stdin=content.encode())
            tree = await git.write_tree(f"{head}^{{tree}}", [("100644", path, blob)])
            commit = await git.commit(tree, [head], message)
            await git.set_ref(f"refs/heads/{branch}", commit, old=head)
            return commit

    async def add_deployment(self, ref: str, *, environment: str = "production", task: str = "deploy",
                             description: str = "", payload: object = None, creator: str = "deploy-bot",
                             created_at: str | None = None, states: Sequence[str] = ("success",)) -> int:
        """Record a deployment of a branch or sha (as a team's deploy tooling would), with its statuses; its id."""
        sha = await self.state.git.resolve(ref)
        if sha is None:
            raise ValueError(f"no commit {ref!r}")
        if bad := [s for s in states if s not in deployments.STATES]:
            raise ValueError(f"deployment states are {', '.join(deployments.STATES)}, not {bad[0]!r}")
        when = created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        number = max(self.state.deployments, default=0) + 1
        statuses = [DeploymentStatus(number * 100 + i, state, f"Deployment {state}", when)
                    for i, state in enumerate(states, 1)]  # fmt: skip
        self.state.deployments[number] = Deployment(
            id=number, sha=sha, ref=ref, task=task, environment=environment, description=description, creator=creator,
            created_at=when, payload=payload if payload is not None else {}, statuses=statuses,
        )  # fmt: skip
        return number

    @property
    def clone_url(self) -> str:
        """Where git clones the repository from (Basic authentication, the token as the password)."""
        return f"{self.api_url}/{self.state.full_name}.git"

    async def branches(self) -> dict[str, str]:
        """Every branch and its head."""
        out = await self.state.git.text("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/")
        return dict(line.split(" ", 1) for line in out.splitlines() if line)

    async def file_at(self, ref: str, path: str) -> str | None:
        """A file's text on a branch (or at a sha), or None."""
        data = await self.state.git.file_at(ref, path)
        return None if data is None else data.decode()

    @property
    def pulls(self) -> list[dict[str, Any]]:
        """The pull requests as stored (copies)."""
        return [asdict(pr) for pr in self.state.pulls.values()]

    def unhandled(self) -> list[RecordedRequest]:
        """Requests the stand-in does not implement (answered 404)."""
        return [r for r in self.requests if not r.handled]

    # -- plumbing ----------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = await request.json() if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        handled = True
        try:
            response = await self._serve(request, handler)
        except web.HTTPNotFound:
            handled = False
            response = gh_error(404, "Not Found")
        except web.HTTPMethodNotAllowed:
            handled = False
            response = gh_error(404, "Not Found")
        except GitFailed as exc:
            response = gh_error(422, f"git: {exc}")
        self.requests.append(RecordedRequest(
            method=request.method, path=request.path, query=dict(request.query),
            headers=dict(request.headers), json=body, status=response.status, handled=handled,
        ))  # fmt: skip
        return response

    async def _serve(self, request: web.Request, handler: Any) -> web.StreamResponse:
        git = githttp.GIT_PATH.match(request.path) is not None  # git checks its own (Basic) credentials
        if not git and request.headers.get("Authorization", "") not in (f"Bearer {self.token}", f"token {self.token}"):
            return gh_error(401, "Bad credentials")
        hook = next((h for h in self._before if request_matches(h[0], request.method, request.path)), None)
        if hook is not None:
            self._before.remove(hook)
            await hook[1]()
        fault = next((f for f in self.state.faults if f.matches(request.method, request.path)), None)
        if fault is not None:
            self.state.faults.remove(fault)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return gh_error(fault.status, fault.message, headers=headers)
        info = request.match_info
        if not git and "owner" in info and (info["owner"].lower(), info["repo"].lower()) != self.state.key:
            return gh_error(404, "Not Found")
        return await handler(request)
