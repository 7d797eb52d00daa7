"""Repository, Git database and contents endpoints (GET/POST refs, commits, trees, blobs; GET contents)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from .errors import gh_error, gh_json, read_json
from .state import STATE, Repository

__all__ = ["register"]

_MODES = {"100644", "100755", "120000"}


def _repo(request: web.Request) -> Repository:
    return request.app[STATE]


def register(router: web.UrlDispatcher, prefix: str) -> None:
    """Add this module's routes under /repos/{owner}/{repo}."""
    router.add_get(prefix, get_repo)
    router.add_get(prefix + "/git/ref/{ref:.+}", get_ref)
    router.add_post(prefix + "/git/refs", create_ref)
    router.add_get(prefix + "/git/commits/{sha}", get_commit)
    router.add_post(prefix + "/git/commits", create_commit)
    router.add_get(prefix + "/git/trees/{sha}", get_tree)
    router.add_post(prefix + "/git/trees", create_tree)
    router.add_post(prefix + "/git/blobs", create_blob)
    router.add_get(prefix + "/contents/{path:.+}", get_contents)


async def get_repo(request: web.Request) -> web.Response:
    repo = _repo(request)
    return gh_json({
        "id": 1, "name": repo.name, "full_name": repo.full_name, "private": True,
        "owner": {"login": repo.owner}, "html_url": repo.html_url(), "default_branch": repo.default_branch,
        "permissions": {"admin": False, "push": True, "pull": True},
    })  # fmt: skip


def _ref_json(ref: str, sha: str) -> dict[str, Any]:
    return {"ref": ref, "object": {"sha": sha, "type": "commit"}}


async def get_ref(request: web.Request) -> web.Response:
    ref = "refs/" + request.match_info["ref"]
    sha = await _repo(request).git.resolve(ref) if ref.startswith("refs/heads/") else None
    return gh_json(_ref_json(ref, sha)) if sha else gh_error(404, "Not Found")


async def create_ref(request: web.Request) -> web.Response:
    repo, data = _repo(request), await read_json(request)
    if not data or not isinstance(data.get("ref"), str) or not isinstance(data.get("sha"), str):
        return gh_error(422, "Invalid request.\n\n\"ref\" and \"sha\" wasn't supplied.")
    ref, sha = data["ref"], data["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        return gh_error(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if await repo.git.object_type(sha) != "commit":
        return gh_error(422, "Object does not exist")
    async with repo.lock:
        if await repo.git.resolve(ref) is not None:
            return gh_error(422, "Reference already exists")
        await repo.git.set_ref(ref, sha, old="0" * 40)
    return gh_json(_ref_json(ref, sha), status=201)


async def _commit_json(repo: Repository, sha: str) -> dict[str, Any]:
    tree = await repo.git.text("rev-parse", f"{sha}^{{tree}}")
    parents = (await repo.git.text("rev-list", "--parents", "-n", "1", sha)).split()[1:]
    message = await repo.git.text("log", "-1", "--format=%B", sha)
    return {"sha": sha, "tree": {"sha": tree}, "message": message, "parents": [{"sha": p} for p in parents],
            "html_url": repo.html_url(f"/commit/{sha}")}


async def get_commit(request: web.Request) -> web.Response:
    repo, sha = _repo(request), request.match_info["sha"]
    if await repo.git.object_type(sha) != "commit":
        return gh_error(404, "Not Found")
    return gh_json(await _commit_json(repo, sha))


async def create_commit(request: web.Request) -> web.Response:
    repo, data = _repo(request), await read_json(request)
    if not data or not isinstance(data.get("message"), str) or not isinstance(data.get("tree"), str):
        return gh_error(422, "Invalid request.\n\n\"message\" and \"tree\" weren't supplied.")
    parents = data.get("parents") or []
    if await repo.git.object_type(data["tree"]) != "tree":
        return gh_error(422, "Tree SHA does not exist")
    for parent in parents:
        if not isinstance(parent, str) or await repo.git.object_type(parent) != "commit":
            return gh_error(422, "Parent SHA does not exist or is not a commit object")
    sha = await repo.git.commit(data["tree"], parents, data["message"])
    return gh_json(await _commit_json(repo, sha), status=201)


async def get_tree(request: web.Request) -> web.Response:
    repo, sha = _repo(request), request.match_info["sha"]
    if await repo.git.object_type(sha) not in ("tree", "commit"):
        return gh_error(404, "Not Found")
    rows = await repo.git.ls_tree(sha)
    tree = [{"path": name, "mode": mode, "type": kind, "sha": obj} for mode, kind, obj, name in rows]
    return gh_json({"sha": await repo.git.text("rev-parse", f"{sha}^{{tree}}"), "tree": tree, "truncated": False})


async def create_tree(request: web.Request) -> web.Response:
    repo, data = _repo(request), await read_json(request)
    entries = data.get("tree") if data else None
    if not isinstance(entries, list):
        return gh_error(422, "Invalid tree info")
    base = data.get("base_tree")  # type: ignore[union-attr]
    if base is not None and await repo.git.object_type(str(base)) not in ("tree", "commit"):
        return gh_error(422, "base_tree is not a valid tree oid")
    changes: list[tuple[str, str, str | None]] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("mode") not in _MODES or entry.get("type", "blob") != "blob":
            return gh_error(422, "Invalid tree info", errors=[{"resource": "Tree", "field": "tree", "code": "invalid"}])
        path, sha = str(entry.get("path", "")), entry.get("sha")
        if "content" in entry:
            sha = await repo.git.text("hash-object", "-w", "--stdin", stdin=str(entry["content"]).encode())
        elif sha is not None and await repo.git.object_type(str(sha)) != "blob":
            return gh_error(422, f"tree.sha {sha} is not a valid blob")
        changes.append((entry["mode"], path, sha))
    sha = await repo.git.write_tree(f"{base}^{{tree}}" if base else None, changes)
    return gh_json({"sha": sha, "truncated": False}, status=201)


async def create_blob(request: web.Request) -> web.Response:
    repo, data = _repo(request), await read_json(request)
    if not data or not isinstance(data.get("content"), str):
        return gh_error(422, "Invalid request.\n\n\"content\" wasn't supplied.")
    try:
        raw = base64.b64decode(data["content"], validate=False) if data.get("encoding") == "base64" else None
    except binascii.Error:
        return gh_error(422, "Invalid Base64 content")
    content = raw if raw is not None else data["content"].encode()
    sha = await repo.git.text("hash-object", "-w", "--stdin", stdin=content)
    return gh_json({"sha": sha, "url": f"{request.url.origin()}{request.path}/{sha}"}, status=201)


async def get_contents(request: web.Request) -> web.Response:
    repo, path = _repo(request), request.match_info["path"].strip("/")
    commit = await repo.git.resolve(request.query.get("ref") or repo.default_branch)
    if commit is None:
        return gh_error(404, f"No commit found for the ref {request.query.get('ref')}")
    kind = await repo.git.object_type(f"{commit}:{path}")
    if kind == "tree":
        rows = await repo.git.ls_tree(f"{commit}:{path}")
        return gh_json([{"type": "dir" if k == "tree" else "file", "name": n, "path": f"{path}/{n}", "sha": s}
                        for _, k, s, n in rows])
    if kind != "blob":
        return gh_error(404, "Not Found")
    data = await repo.git.file_at(commit, path) or b""
    sha = await repo.git.text("rev-parse", f"{commit}:{path}")
    return gh_json({
        "type": "file", "encoding": "base64", "size": len(data), "name": path.rsplit("/", 1)[-1], "path": path,
        "content": base64.encodebytes(data).decode(), "sha": sha,
        "html_url": repo.html_url(f"/blob/{commit}/{path}"),
    })  # fmt: skip
