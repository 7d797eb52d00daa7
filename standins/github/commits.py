"""Commits endpoints: list commits (sha, path, since, until, paging) and get a commit (JSON, or its diff or patch
with the `application/vnd.github.diff` / `.patch` media types), from GitHub's REST reference "REST API endpoints for
commits" and "Media types"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .errors import gh_error, gh_json
from .gitstore import GitFailed
from .paging import BadPage, page_of
from .state import STATE, Repository

__all__ = ["register"]

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_DIFF_TYPES = ("application/vnd.github.diff", "application/vnd.github.v3.diff")
_PATCH_TYPES = ("application/vnd.github.patch", "application/vnd.github.v3.patch")
_FORMAT = "%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%T%x00%P%x00%B%x1e"


def _repo(request: web.Request) -> Repository:
    return request.app[STATE]


def register(router: web.UrlDispatcher, prefix: str) -> None:
    """Add this module's routes under /repos/{owner}/{repo}."""
    router.add_get(prefix + "/commits", list_commits)
    router.add_get(prefix + "/commits/{ref:[^/]+}", get_commit)


def _when(value: str, name: str) -> str:
    """An ISO 8601 timestamp as git reads it; ValueError names the parameter."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise ValueError(f"Invalid value for {name}: {value!r} (an ISO 8601 timestamp, YYYY-MM-DDTHH:MM:SSZ)") from None


def _commit_json(request: web.Request, repo: Repository, fields: list[str]) -> dict[str, Any]:
    sha, an, ae, ad, cn, ce, cd, tree, parents, message = fields
    url = repo.api_url(request, f"/commits/{sha}")
    return {
        "url": url, "sha": sha, "node_id": f"C_{sha[:12]}", "html_url": repo.html_url(f"/commit/{sha}"),
        "commit": {
            "url": repo.api_url(request, f"/git/commits/{sha}"),
            "author": {"name": an, "email": ae, "date": _utc(ad)},
            "committer": {"name": cn, "email": ce, "date": _utc(cd)},
            "message": message.rstrip("\n"), "tree": {"sha": tree, "url": repo.api_url(request, f"/git/trees/{tree}")},
            "comment_count": 0,
        },
        "author": None, "committer": None,  # the stand-in's commit e-mails belong to no GitHub account
        "parents": [{"sha": p, "url": repo.api_url(request, f"/commits/{p}"), "html_url": repo.html_url(f"/commit/{p}")}
                    for p in parents.split()],
    }  # fmt: skip


def _utc(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if stamp else stamp


async def _log(repo: Repository, *args: str) -> list[list[str]]:
    out = (await repo.git.git("log", f"--format={_FORMAT}", *args)).decode("utf-8", "replace")
    return [record.lstrip("\n").split("\0") for record in out.split("\x1e") if record.strip()]


async def list_commits(request: web.Request) -> web.Response:
    repo, query = _repo(request), request.query
    if "author" in query or "committer" in query:
        return gh_error(422, "The stand-in does not filter commits by author or committer")
    start = query.get("sha") or repo.default_branch
    head = await repo.git.resolve(start)
    if head is None:
        return gh_error(404, f"No commit found for SHA: {start}")
    args = [head]
    try:
        args += [f"--since={_when(query['since'], 'since')}"] if "since" in query else []
        args += [f"--until={_when(query['until'], 'until')}"] if "until" in query else []
    except ValueError as exc:
        return gh_error(422, str(exc))
    if query.get("path"):
        args += ["--", query["path"]]
    try:
        chosen, headers = page_of(request, await _log(repo, *args))
    except BadPage as exc:
        return gh_error(422, str(exc))
    response = gh_json([_commit_json(request, repo, fields) for fields in chosen])
    response.headers.update(headers)
    return response


async def get_commit(request: web.Request) -> web.Response:
    repo, ref = _repo(request), request.match_info["ref"]
    sha = await repo.git.resolve(ref) if not ref.startswith("-") else None
    if sha is None:
        return gh_error(422, f"No commit found for SHA: {ref}")
    [fields] = await _log(repo, "-1", sha)
    parent = fields[8].split()[0] if fields[8].split() else EMPTY_TREE
    accept = request.headers.get("Accept", "")
    if any(kind in accept for kind in _DIFF_TYPES):
        text = await repo.git.diff(parent, sha)
        return web.Response(text=text, content_type="application/vnd.github.diff", charset="utf-8")
    if any(kind in accept for kind in _PATCH_TYPES):
        text = (await repo.git.git("format-patch", "-1", "--stdout", sha)).decode("utf-8", "replace")
        return web.Response(text=text, content_type="application/vnd.github.patch", charset="utf-8")
    body = _commit_json(request, repo, fields)
    body["files"], body["stats"] = await _files(repo, parent, sha)
    return gh_json(body)


async def _files(repo: Repository, parent: str, sha: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The changed files (GitHub's `files`, without per-file patches) and the totals (`stats`)."""
    try:
        numstat = await repo.git.text("diff", "--numstat", "-z", "--no-renames", parent, sha)
        names = await repo.git.text("diff", "--name-status", "-z", "--no-renames", parent, sha)
    except GitFailed:
        return [], {"additions": 0, "deletions": 0, "total": 0}
    kinds = dict(zip(names.split("\0")[1::2], names.split("\0")[0::2], strict=False))
    files = []
    for row in filter(None, numstat.split("\0")):
        added, removed, name = row.split("\t", 2)
        a, d = (int(added) if added.isdigit() else 0), (int(removed) if removed.isdigit() else 0)
        status = {"A": "added", "D": "removed"}.get(kinds.get(name, "M"), "modified")
        files.append({"filename": name, "status": status, "additions": a, "deletions": d, "changes": a + d,
                      "blob_url": repo.html_url(f"/blob/{sha}/{name}")})  # fmt: skip
    additions, deletions = sum(f["additions"] for f in files), sum(f["deletions"] for f in files)
    return files, {"additions": additions, "deletions": deletions, "total": additions + deletions}
