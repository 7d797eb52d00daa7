"""Pull request endpoints: list, create, get (JSON or .diff), merge, is-merged."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import gh_error, gh_json, read_json
from .state import STATE, PullRequest, Repository

__all__ = ["register"]

_DIFF_TYPES = ("application/vnd.github.v3.diff", "application/vnd.github.diff")
_ZERO = "0" * 40


def _repo(request: web.Request) -> Repository:
    return request.app[STATE]


def register(router: web.UrlDispatcher, prefix: str) -> None:
    """Add this module's routes under /repos/{owner}/{repo}."""
    router.add_get(prefix + "/pulls", list_pulls)
    router.add_post(prefix + "/pulls", create_pull)
    router.add_get(prefix + "/pulls/{number:\\d+}", get_pull)
    router.add_put(prefix + "/pulls/{number:\\d+}/merge", merge_pull)
    router.add_get(prefix + "/pulls/{number:\\d+}/merge", is_merged)


async def _heads(repo: Repository, pr: PullRequest) -> tuple[str, str]:
    """(head sha, base sha) now; a merged PR keeps the ones it was merged with."""
    if pr.merged and pr.merged_head and pr.merged_base:
        return pr.merged_head, pr.merged_base
    head = await repo.git.resolve(f"refs/heads/{pr.head}") or _ZERO
    base = await repo.git.resolve(f"refs/heads/{pr.base}") or _ZERO
    return head, base


async def _pull_json(repo: Repository, pr: PullRequest) -> dict[str, Any]:
    head, base = await _heads(repo, pr)
    where = {"repo": {"full_name": repo.full_name}}
    return {
        "number": pr.number, "state": pr.state, "title": pr.title, "body": pr.body,
        "html_url": repo.html_url(f"/pull/{pr.number}"), "diff_url": repo.html_url(f"/pull/{pr.number}.diff"),
        "merged": pr.merged, "merge_commit_sha": pr.merge_commit_sha, "user": {"login": "incident-bot"},
        "head": {"ref": pr.head, "sha": head, "label": f"{repo.owner}:{pr.head}", **where},
        "base": {"ref": pr.base, "sha": base, "label": f"{repo.owner}:{pr.base}", **where},
    }  # fmt: skip


def _find(request: web.Request) -> PullRequest | None:
    return _repo(request).pulls.get(int(request.match_info["number"]))


async def list_pulls(request: web.Request) -> web.Response:
    repo, query = _repo(request), request.query
    state, head, base = query.get("state", "open"), query.get("head"), query.get("base")
    if head and ":" not in head:
        return gh_json([])  # GitHub wants head as "owner:branch"; a bare branch filters nothing useful
    found = [
        pr for pr in sorted(repo.pulls.values(), key=lambda p: -p.number)
        if (state == "all" or pr.state == state)
        and (head is None or head.lower() == f"{repo.owner}:{pr.head}".lower())
        and (base is None or base == pr.base)
    ]  # fmt: skip
    return gh_json([await _pull_json(repo, pr) for pr in found])


def _invalid(field: str, message: str | None = None) -> web.Response:
    """GitHub's 422 Validation Failed: a field error, or a custom message."""
    error = {"resource": "PullRequest", "code": "custom", "message": message} if message else {
        "resource": "PullRequest", "field": field, "code": "invalid"}
    return gh_error(422, "Validation Failed", errors=[error])


async def create_pull(request: web.Request) -> web.Response:
    repo, data = _repo(request), await read_json(request)
    if not data or not all(isinstance(data.get(k), str) for k in ("title", "head", "base")):
        return gh_error(422, "Invalid request.\n\n\"title\", \"head\" and \"base\" are required.")
    head = data["head"].split(":", 1)[-1]
    async with repo.lock:
        base_sha = await repo.git.resolve(f"refs/heads/{data['base']}")
        head_sha = await repo.git.resolve(f"refs/heads/{head}")
        if base_sha is None:
            return _invalid("base")
        if head_sha is None:
            return _invalid("head")
        if any(pr.head == head and pr.state == "open" for pr in repo.pulls.values()):
            return _invalid("head", message=f"A pull request already exists for {repo.owner}:{head}.")
        if await repo.git.merge_base(base_sha, head_sha) == head_sha:
            return _invalid("head", message=f"No commits between {data['base']} and {head}")
        number = max(repo.pulls, default=0) + 1
        pr = PullRequest(number=number, title=data["title"], body=str(data.get("body") or ""), head=head,
                         base=data["base"])
        repo.pulls[number] = pr
    return gh_json(await _pull_json(repo, pr), status=201)


async def get_pull(request: web.Request) -> web.Response:
    repo, pr = _repo(request), _find(request)
    if pr is None:
        return gh_error(404, "Not Found")
    accept = request.headers.get("Accept", "")
    if not any(kind in accept for kind in _DIFF_TYPES):
        return gh_json(await _pull_json(repo, pr))
    head, base = await _heads(repo, pr)
    if pr.merged:
        since = base
    else:
        since = await repo.git.merge_base(base, head) or base
    text = await repo.git.diff(since, head)
    return web.Response(text=text, content_type="application/vnd.github.v3.diff")


async def merge_pull(request: web.Request) -> web.Response:
    repo, pr = _repo(request), _find(request)
    if pr is None:
        return gh_error(404, "Not Found")
    data = await read_json(request) or {}
    method = data.get("merge_method", "merge")
    if method != "merge":
        return gh_error(405, f"{str(method).capitalize()} merges are not allowed on this repository.")
    async with repo.lock:
        if pr.state != "open":
            return gh_error(405, "Pull Request is not mergeable")
        head, base = await _heads(repo, pr)
        if data.get("sha") is not None and data["sha"] != head:
            return gh_error(409, "Head branch was modified. Review and try the merge again.")
        tree = await repo.git.merge_tree(base, head)
        if tree is None:
            return gh_error(405, "Pull Request is not mergeable")
        title = data.get("commit_title") or f"Merge pull request #{pr.number} from {repo.owner}/{pr.head}"
        message = f"{title}\n\n{data.get('commit_message') or pr.title}\n"
        merge_base = await repo.git.merge_base(base, head) or base
        sha = await repo.git.commit(tree, [base, head], message)
        await repo.git.set_ref(f"refs/heads/{pr.base}", sha, old=base)
        pr.state, pr.merged, pr.merge_commit_sha = "closed", True, sha
        pr.merged_head, pr.merged_base = head, merge_base
    return gh_json({"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


async def is_merged(request: web.Request) -> web.Response:
    pr = _find(request)
    if pr is None or not pr.merged:
        return gh_error(404, "Not Found")
    return web.Response(status=204)
