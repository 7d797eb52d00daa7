"""The GitHub stand-in's deployments, commits and git-over-HTTP endpoints, held to GitHub's documented answers:
a real aiohttp client for the REST endpoints and the real `git` client for cloning."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import aiohttp
import pytest

from bot.settings import REPO_ROOT
from standins.github import GitHubStandin

REPO = REPO_ROOT / "fixtures" / "checkout-oom" / "repo"
TOKEN = "ghp_standin_token"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "")


@pytest.fixture
async def github():
    standin = GitHubStandin(repo="acme/infra", source=REPO, token=TOKEN)
    await standin.start()
    yield standin
    await standin.stop()


async def _get(github: GitHubStandin, path: str, *, accept: str = "application/vnd.github+json",
               token: str = TOKEN) -> tuple[int, dict[str, str], object]:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    async with aiohttp.ClientSession() as http, http.get(f"{github.api_url}/repos/acme/infra{path}",
                                                         headers=headers) as resp:  # fmt: skip
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, dict(resp.headers), body


async def _git(*args: str, cwd: Path | None = None, token: str | None = None) -> tuple[int, str]:
    auth = []
    if token is not None:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        auth = ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd or "/nonexistent"), "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C"}  # fmt: skip
    proc = await asyncio.create_subprocess_exec("git", "-c", "credential.helper=", *auth, *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_git_clones_the_repository_with_the_token_and_refuses_without_it(github, tmp_path):
    head = await github.push_commit("main", "README.md", "# infra\n", message="docs: readme")
    code, said = await _git("clone", "-q", github.clone_url, str(tmp_path / "ok"), token=TOKEN, cwd=tmp_path)
    assert code == 0, said
    manifest = "k8s/checkout/deployment.yaml"
    assert (tmp_path / "ok" / manifest).read_text() == (REPO / manifest).read_text()
    assert (await _git("rev-parse", "HEAD", cwd=tmp_path / "ok"))[1].strip() == head

    for token in ("ghp_wrong", None):
        code, said = await _git("clone", "-q", github.clone_url, str(tmp_path / "no"), token=token, cwd=tmp_path)
        assert code != 0 and not (tmp_path / "no").exists()
    refused = [r for r in github.requests if r.status == 401]
    assert len(refused) == 2 and all(r.path == "/acme/infra.git/info/refs" for r in refused)

    code, said = await _git("clone", "-q", f"{github.api_url}/acme/other.git", str(tmp_path / "x"), token=TOKEN)
    assert code != 0 and "not found" in said.lower()


async def test_git_push_is_not_served(github, tmp_path):
    await _git("clone", "-q", github.clone_url, str(tmp_path / "c"), token=TOKEN, cwd=tmp_path)
    work = tmp_path / "c"
    (work / "x.txt").write_text("x\n")
    await _git("-c", "user.name=a", "-c", "user.email=a@b", "add", "x.txt", cwd=work)
    await _git("-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x", cwd=work)
    code, _ = await _git("push", "-q", "origin", "HEAD:main", cwd=work, token=TOKEN)
    assert code != 0 and "x.txt" not in (await github.state.git.text("ls-tree", "--name-only", "main"))


async def test_deployments_newest_first_with_statuses_newest_first(github):
    first = await github.add_deployment("main", environment="staging", states=("queued",))
    second = await github.add_deployment("main", payload={"service": "checkout"}, states=("in_progress", "success"))
    status, _, listed = await _get(github, "/deployments")
    assert status == 200 and [d["id"] for d in listed] == [second, first]
    assert listed[0]["sha"] == (await github.branches())["main"] and listed[0]["payload"] == {"service": "checkout"}
    assert listed[0]["statuses_url"].endswith(f"/repos/acme/infra/deployments/{second}/statuses")
    _, _, only = await _get(github, "/deployments?environment=staging")
    assert [d["id"] for d in only] == [first]
    _, _, statuses = await _get(github, f"/deployments/{second}/statuses")
    assert [s["state"] for s in statuses] == ["success", "in_progress"]
    assert (await _get(github, "/deployments/99/statuses"))[0] == 404


async def test_lists_page_with_a_link_header_and_refuse_a_bad_page_size(github):
    for _ in range(3):
        await github.add_deployment("main")
    status, headers, page = await _get(github, "/deployments?per_page=2")
    assert status == 200 and len(page) == 2 and 'rel="next"' in headers["Link"] and "page=2" in headers["Link"]
    _, headers, rest = await _get(github, "/deployments?per_page=2&page=2")
    assert len(rest) == 1 and "Link" not in headers
    assert (await _get(github, "/deployments?per_page=zero"))[0] == 422


async def test_commits_since_and_a_commits_diff(github):
    head = await github.push_commit("main", "k8s/checkout/deployment.yaml", "kind: Deployment\n", message="shrink")
    status, _, commits = await _get(github, "/commits?since=2000-01-01T00:00:00Z")
    assert status == 200 and commits[0]["sha"] == head and commits[0]["commit"]["message"] == "shrink"
    assert len(commits) == 2 and commits[0]["parents"][0]["sha"] == commits[1]["sha"]
    assert (await _get(github, "/commits?since=2099-01-01T00:00:00Z"))[2] == []
    assert (await _get(github, "/commits?since=yesterday"))[0] == 422

    status, headers, diff = await _get(github, f"/commits/{head[:7]}", accept="application/vnd.github.diff")
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.github.diff")
    assert diff.startswith("diff --git a/k8s/checkout/deployment.yaml b/k8s/checkout/deployment.yaml")
    _, _, detail = await _get(github, f"/commits/{head}")
    assert detail["files"][0]["filename"] == "k8s/checkout/deployment.yaml" and detail["stats"]["total"] > 0
    status, _, missing = await _get(github, "/commits/deadbeef0")
    assert status == 422 and missing["message"] == "No commit found for SHA: deadbeef0"
    assert (await _get(github, "/commits", token="ghp_wrong"))[0] == 401
    assert not github.unhandled()
