"""Deployments endpoints (list, get, list statuses), from GitHub's REST reference "REST API endpoints for deployments"
and "REST API endpoints for deployment statuses". Deployments are made through the stand-in's control surface."""

from __future__ import annotations

import zlib
from typing import Any

from aiohttp import web

from .errors import gh_error, gh_json
from .paging import BadPage, page_of
from .state import STATE, Deployment, DeploymentStatus, Repository

__all__ = ["deployment_json", "register"]

STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
_FILTERS = ("sha", "ref", "task", "environment")


def _repo(request: web.Request) -> Repository:
    return request.app[STATE]


def register(router: web.UrlDispatcher, prefix: str) -> None:
    """Add this module's routes under /repos/{owner}/{repo}."""
    router.add_get(prefix + "/deployments", list_deployments)
    router.add_get(prefix + "/deployments/{id:\\d+}", get_deployment)
    router.add_get(prefix + "/deployments/{id:\\d+}/statuses", list_statuses)


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": zlib.crc32(login.encode()) % 10**7, "type": "User"}


def deployment_json(request: web.Request, repo: Repository, d: Deployment) -> dict[str, Any]:
    """A deployment as GitHub shows it."""
    url = repo.api_url(request, f"/deployments/{d.id}")
    return {
        "url": url, "id": d.id, "node_id": f"DE_{d.id}", "sha": d.sha, "ref": d.ref, "task": d.task,
        "payload": d.payload, "original_environment": d.environment, "environment": d.environment,
        "description": d.description or None, "creator": _user(d.creator), "created_at": d.created_at,
        "updated_at": d.statuses[-1].created_at if d.statuses else d.created_at, "statuses_url": url + "/statuses",
        "repository_url": repo.api_url(request), "transient_environment": False,
        "production_environment": d.environment == "production",
    }  # fmt: skip


def _status_json(request: web.Request, repo: Repository, d: Deployment, s: DeploymentStatus) -> dict[str, Any]:
    url = repo.api_url(request, f"/deployments/{d.id}")
    return {
        "url": f"{url}/statuses/{s.id}", "id": s.id, "node_id": f"DES_{s.id}", "state": s.state,
        "creator": _user(d.creator), "description": s.description, "environment": d.environment, "target_url": "",
        "created_at": s.created_at, "updated_at": s.created_at, "deployment_url": url,
        "repository_url": repo.api_url(request), "environment_url": "", "log_url": "",
    }  # fmt: skip


async def list_deployments(request: web.Request) -> web.Response:
    repo, query = _repo(request), request.query
    wanted = {name: query[name] for name in _FILTERS if name in query}
    found = [d for d in sorted(repo.deployments.values(), key=lambda d: -d.id)
             if all(getattr(d, name) == value for name, value in wanted.items())]  # fmt: skip
    try:
        chosen, headers = page_of(request, found)
    except BadPage as exc:
        return gh_error(422, str(exc))
    response = gh_json([deployment_json(request, repo, d) for d in chosen])
    response.headers.update(headers)
    return response


def _find(request: web.Request) -> Deployment | None:
    return _repo(request).deployments.get(int(request.match_info["id"]))


async def get_deployment(request: web.Request) -> web.Response:
    found = _find(request)
    return gh_error(404, "Not Found") if found is None else gh_json(deployment_json(request, _repo(request), found))


async def list_statuses(request: web.Request) -> web.Response:
    repo, found = _repo(request), _find(request)
    if found is None:
        return gh_error(404, "Not Found")
    try:
        chosen, headers = page_of(request, list(reversed(found.statuses)))  # newest first
    except BadPage as exc:
        return gh_error(422, str(exc))
    response = gh_json([_status_json(request, repo, found, s) for s in chosen])
    response.headers.update(headers)
    return response
