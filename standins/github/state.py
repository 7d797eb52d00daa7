"""What the stand-in remembers besides git: pull requests, injected faults, the write lock."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from aiohttp import web

from .gitstore import GitStore

__all__ = ["STATE", "Deployment", "DeploymentStatus", "Fault", "PullRequest", "Repository", "request_matches"]


def request_matches(on: str | None, method: str, path: str) -> bool:
    """Whether a request is the one "METHOD /path/suffix" names (None names every request)."""
    if on is None:
        return True
    want_method, _, suffix = on.partition(" ")
    return want_method == method and path.endswith(suffix)


class Fault(NamedTuple):
    status: int
    message: str
    retry_after: int | None
    on: str | None  # "METHOD /path/suffix" it applies to; None: the next request whatever it is

    def matches(self, method: str, path: str) -> bool:
        return request_matches(self.on, method, path)


@dataclass(slots=True)
class PullRequest:
    number: int
    title: str
    body: str
    head: str  # branch name
    base: str  # branch name
    state: str = "open"
    merged: bool = False
    merge_commit_sha: str | None = None
    merged_head: str | None = None  # the head and base as they were when merged, so the diff stays put
    merged_base: str | None = None


@dataclass(frozen=True, slots=True)
class DeploymentStatus:
    id: int
    state: str  # error, failure, inactive, in_progress, queued, pending, success
    description: str
    created_at: str


@dataclass(slots=True)
class Deployment:
    id: int
    sha: str
    ref: str
    task: str
    environment: str
    description: str
    creator: str
    created_at: str
    payload: object = field(default_factory=dict)
    statuses: list[DeploymentStatus] = field(default_factory=list)  # oldest first


@dataclass(slots=True)
class Repository:
    owner: str
    name: str
    default_branch: str
    git: GitStore
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    deployments: dict[int, Deployment] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def key(self) -> tuple[str, str]:
        return self.owner.lower(), self.name.lower()

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def html_url(self, tail: str = "") -> str:
        return f"https://github.invalid/{self.full_name}{tail}"

    def api_url(self, request: web.Request, tail: str = "") -> str:
        """The API URL of something in this repository, on the host the request came to."""
        return f"{request.url.origin()}/repos/{self.full_name}{tail}"


STATE = web.AppKey("state", Repository)
