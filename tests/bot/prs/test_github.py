"""GitHubPullRequests against the local GitHub stand-in, over real HTTP on loopback and a real git repository."""

from __future__ import annotations

import difflib
import json
from datetime import datetime, timezone
from functools import reduce as fold

import aiohttp
import pytest

from bot.agents.evidence import load_evidence
from bot.prs.base import GitError
from bot.prs.github import GitHubPullRequests, GitHubRepository
from bot.tools.answers import IncidentTools
from bot.run.reducer import reduce
from bot.run.state import IncidentState
from bot.settings import REPO_ROOT
from standins.github import GitHubStandin

from tests.bot import events as ev

OOM = REPO_ROOT / "fixtures" / "checkout-oom"
DEPLOYMENT = "k8s/checkout/deployment.yaml"
TOKEN = "ghp_test_5ecret"


def _memory_diff() -> str:
    text = (OOM / "repo" / DEPLOYMENT).read_text()
    new = text.replace("memory: 128Mi", "memory: 512Mi")
    assert new != text
    lines = text.splitlines(True), new.splitlines(True)
    return "".join(difflib.unified_diff(*lines, f"a/{DEPLOYMENT}", f"b/{DEPLOYMENT}"))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "")


@pytest.fixture
async def github():
    standin = GitHubStandin(repo="acme/infra", source=OOM / "repo", token=TOKEN)
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
async def prs(github):
    async with GitHubPullRequests(token=TOKEN, repo="acme/infra", api_url=github.api_url) as store:
        yield store


async def _open(prs, tool_use_id: str = "toolu_01", diff: str | None = None):
    return await prs.open("sesn_t", title="Raise checkout memory to 512Mi", body="Per runbooks/oom.md",
                          diff=diff or _memory_diff(), tool_use_id=tool_use_id)


async def test_ensure_repo_checks_the_repository_and_sends_githubs_headers(github, prs):
    assert prs.location("sesn_t") == "GitHub: acme/infra"
    repo = await prs.ensure_repo("sesn_t", OOM / "repo")
    assert prs.location("sesn_t") == "GitHub: https://github.invalid/acme/infra"  # what the demo prints
    assert repo == GitHubRepository(full_name="acme/infra", default_branch="main",
                                    html_url="https://github.invalid/acme/infra", can_push=True)
    sent = github.requests[-1]
    assert (sent.method, sent.path, sent.status) == ("GET", "/repos/acme/infra", 200)
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Accept"] == "application/vnd.github+json"
    assert sent.headers["X-GitHub-Api-Version"] == "2022-11-28"


async def test_open_makes_a_branch_commit_and_pr_and_info_describes_it(github, prs):
    pr = await _open(prs)
    assert (pr.number, pr.title, pr.branch) == (1, "Raise checkout memory to 512Mi", "incident-bot/toolu_01")
    assert pr.url == "https://github.invalid/acme/infra/pull/1" and not pr.merged
    assert len(pr.diff_sha256) == 64 and await prs.info("sesn_t", 1) == pr
    assert not await prs.is_merged("sesn_t", 1)
    assert "memory: 512Mi" in await github.file_at("incident-bot/toolu_01", DEPLOYMENT)
    assert "memory: 512Mi" not in await github.file_at("main", DEPLOYMENT)
    message = await github.state.git.text("log", "-1", "--format=%B", "refs/heads/incident-bot/toolu_01")
    assert message.startswith("Raise checkout memory to 512Mi\n\nPer runbooks/oom.md")
    assert message.endswith("\n\nTool-Use-Id: toolu_01")
    parent = await github.state.git.text("rev-parse", "refs/heads/incident-bot/toolu_01^")
    assert parent == (await github.branches())["main"]
    assert github.pulls[0]["base"] == "main" and not github.unhandled()
    touched = {r.path for r in github.requests if r.path.startswith("/repos/acme/infra/contents/")}
    assert touched == {f"/repos/acme/infra/contents/{DEPLOYMENT}"}  # only the files the diff touches


async def test_the_same_tool_call_opens_one_pr(github, prs):
    first, again = await _open(prs), await _open(prs)
    assert first.number == again.number == 1 and len(github.pulls) == 1
    assert [b for b in await github.branches() if b.startswith("incident-bot/")] == ["incident-bot/toolu_01"]
    other = await _open(prs, tool_use_id="toolu_02")
    assert other.number == 2 and len(github.pulls) == 2


async def test_a_diff_that_does_not_apply_is_a_readable_error_and_creates_nothing(github, prs):
    bad = f"--- a/{DEPLOYMENT}\n+++ b/{DEPLOYMENT}\n@@ -1,1 +1,1 @@\n-no such line\n+x\n"
    with pytest.raises(GitError, match="patch does not apply"):
        await _open(prs, diff=bad)
    assert list(await github.branches()) == ["main"] and github.pulls == []
    assert not [r for r in github.requests if r.method == "POST"]


async def test_a_diff_can_add_and_delete_files(github, prs):
    added = ("--- /dev/null\n+++ b/k8s/checkout/pdb.yaml\n@@ -0,0 +1,2 @@\n"
             "+kind: PodDisruptionBudget\n+minAvailable: 2\n")
    config = (OOM / "repo/k8s/checkout/configmap.yaml").read_text().splitlines(True)
    removed = "".join(difflib.unified_diff(config, [], "a/k8s/checkout/configmap.yaml", "/dev/null"))
    pr = await _open(prs, diff=added + removed)
    await prs.merge("sesn_t", pr.number, head_sha=pr.head_sha)
    assert await github.file_at("main", "k8s/checkout/pdb.yaml") == "kind: PodDisruptionBudget\nminAvailable: 2\n"
    assert await github.file_at("main", "k8s/checkout/configmap.yaml") is None
    assert await github.file_at("main", DEPLOYMENT) == (OOM / "repo" / DEPLOYMENT).read_text()


async def test_merge_lands_on_the_default_branch(github, prs):
    pr = await _open(prs)
    head = (await github.branches())["incident-bot/toolu_01"]
    assert pr.head_sha == head
    sha = await prs.merge("sesn_t", pr.number, head_sha=pr.head_sha)
    assert sha == (await github.branches())["main"]
    assert "memory: 512Mi" in await github.file_at("main", DEPLOYMENT)
    assert await prs.is_merged("sesn_t", pr.number) and (await prs.info("sesn_t", pr.number)).merged
    put = next(r for r in github.requests if r.method == "PUT")
    assert put.path == "/repos/acme/infra/pulls/1/merge" and put.json == {"sha": head, "merge_method": "merge"}
    with pytest.raises(GitError, match="GitHub 405: Pull Request is not mergeable"):
        await prs.merge("sesn_t", pr.number, head_sha=pr.head_sha)


async def test_a_push_after_info_changes_the_diff_and_github_refuses_the_old_head(github, prs):
    pr = await _open(prs)
    seen = await prs.info("sesn_t", pr.number)
    main_before = (await github.branches())["main"]
    branch = "incident-bot/toolu_01"
    await github.push_commit(branch, DEPLOYMENT, (await github.file_at(branch, DEPLOYMENT)) + "# sneaky\n")
    with pytest.raises(GitError, match="GitHub 409: Head branch was modified"):
        await prs.merge("sesn_t", pr.number, head_sha=seen.head_sha)  # pinned to the head that info() saw
    assert (await github.branches())["main"] == main_before and not await prs.is_merged("sesn_t", pr.number)
    assert (await prs.info("sesn_t", pr.number)).diff_sha256 != seen.diff_sha256  # so the bot's gate refuses it


async def test_a_crash_between_branch_and_pr_is_resumed_by_the_same_tool_call(github, prs):
    github.fail_next(502, "Server Error", on="POST /pulls")
    with pytest.raises(GitError, match="GitHub 502: Server Error"):
        await _open(prs)
    assert "incident-bot/toolu_01" in await github.branches() and github.pulls == []
    pr = await _open(prs)
    assert pr.number == 1 and len(github.pulls) == 1
    commits = [r for r in github.requests if (r.method, r.path) == ("POST", "/repos/acme/infra/git/commits")]
    assert len(commits) == 1  # the branch made before the failure was reused, not made again


async def test_a_wrong_token_is_an_error_that_does_not_show_the_token(github):
    wrong = "ghp_wrong_token_value"
    async with GitHubPullRequests(token=wrong, repo="acme/infra", api_url=github.api_url) as store:
        with pytest.raises(GitError) as caught:
            await store.ensure_repo("sesn_t", OOM / "repo")
    assert str(caught.value) == "GitHub 401: Bad credentials" and wrong not in str(caught.value)


async def test_rate_limits_are_retried_a_bounded_number_of_times(github, prs):
    github.fail_next(429, "You have exceeded a secondary rate limit.", retry_after=0)
    assert (await prs.ensure_repo("sesn_t", OOM / "repo")).default_branch == "main"
    assert [r.status for r in github.requests] == [429, 200]
    github.fail_next(403, "You have exceeded a secondary rate limit.", retry_after=0, times=3)
    with pytest.raises(GitError, match="GitHub 403: You have exceeded a secondary rate limit"):
        await prs.ensure_repo("sesn_t", OOM / "repo")
    assert len(github.requests) == 5  # one try and two retries
    github.fail_next(429, "Slow down.", retry_after=3600)  # longer than we wait: fail now, do not hang the tool call
    with pytest.raises(GitError, match="GitHub 429: Slow down"):
        await prs.ensure_repo("sesn_t", OOM / "repo")


async def test_the_standin_refuses_what_it_does_not_implement(github, prs):
    assert await prs.info("sesn_t", 7) is None
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with http.delete(f"{github.api_url}/repos/acme/infra/pulls/1") as resp:
            assert resp.status == 404 and (await resp.json())["message"] == "Not Found"
        async with http.get(f"{github.api_url}/repos/acme/infra/issues") as resp:
            assert resp.status == 404 and "documentation_url" in await resp.json()
    assert [(r.method, r.path) for r in github.unhandled()] == [
        ("DELETE", "/repos/acme/infra/pulls/1"), ("GET", "/repos/acme/infra/issues")]


# -- through the bot's own merge gate -------------------------------------------------------------------
@pytest.fixture
async def tools(tmp_path, prs):
    evidence = await load_evidence(OOM, work_dir=tmp_path)
    return IncidentTools(evidence=evidence, prs=prs, session_id="sesn_t")  # type: ignore[arg-type]


async def _approved_pr(tools) -> IncidentState:
    state = IncidentState(session_id="sesn_t", title="t", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    pr_call = ev.custom("open_pull_request", title="Raise checkout memory", body="b", diff=_memory_diff())
    state = reduce(state, pr_call)
    opened = await tools.answer(state.tools[pr_call["id"]], state)
    assert not opened.is_error, opened.text
    ask = ev.custom("request_approval", summary="raise memory")
    sha = json.loads(opened.text)["diff_sha256"]
    decision = {"decision": "approved", "approver": "U1", "pr_number": 1, "diff_sha256": sha}
    return fold(reduce, [ev.custom_result(pr_call, opened.text), ask, ev.custom_result(ask, decision)], state)


async def _merge(tools, state):
    call = ev.custom("merge_pull_request", pr_number=1)
    state = reduce(state, call)
    return await tools.answer(state.tools[call["id"]], state)


async def test_the_bot_merges_an_approved_github_pr(github, tools):
    answer = await _merge(tools, await _approved_pr(tools))
    assert not answer.is_error and json.loads(answer.text)["commit"] == (await github.branches())["main"]
    assert "memory: 512Mi" in await github.file_at("main", DEPLOYMENT)


async def test_the_bot_refuses_a_github_pr_changed_after_approval(github, tools):
    state = await _approved_pr(tools)
    branch = github.pulls[0]["head"]
    await github.push_commit(branch, DEPLOYMENT, (await github.file_at(branch, DEPLOYMENT)) + "# sneaky\n")
    answer = await _merge(tools, state)
    assert answer.is_error and "changed since it was approved" in answer.text
    assert not [r for r in github.requests if r.method == "PUT"]


async def test_an_executable_file_keeps_its_mode(tmp_path):
    script = tmp_path / "src" / "scripts" / "restart.sh"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\nkubectl rollout restart deploy/checkout\n")
    script.chmod(0o755)
    standin = GitHubStandin(repo="acme/infra", source=tmp_path / "src", token=TOKEN)
    store = GitHubPullRequests(token=TOKEN, repo="acme/infra", api_url=await standin.start())
    try:
        old = script.read_text().splitlines(True)
        diff = "".join(difflib.unified_diff(old, [*old, "echo done\n"], "a/scripts/restart.sh", "b/scripts/restart.sh"))
        pr = await store.open("sesn_t", title="t", body="", diff=diff, tool_use_id="toolu_x")
        await store.merge("sesn_t", pr.number, head_sha=pr.head_sha)
        assert (await standin.state.git.text("ls-tree", "main", "scripts/restart.sh")).startswith("100755 blob")
        assert (await standin.file_at("main", "scripts/restart.sh")).endswith("echo done\n")
    finally:
        await store.aclose()
        await standin.stop()
