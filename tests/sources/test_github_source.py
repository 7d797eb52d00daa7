"""GitHubSource (get_recent_deploys, get_diff) against the GitHub stand-in over real HTTP on loopback: deployments and
their states, the commits fallback, bounded diffs, and errors that name the cause without the token."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.run.reducer import reduce
from bot.run.state import IncidentState
from bot.settings import REPO_ROOT
from bot.sources import Caps, SourceError
from bot.sources.bounded import size
from bot.sources.github import GitHubSource
from bot.tools.answers import IncidentTools, tool_handlers
from standins.github import GitHubStandin

from tests.bot import events as ev

REPO = REPO_ROOT / "fixtures" / "checkout-oom" / "repo"
TOKEN = "ghp_source_5ecret"
MANIFEST = "k8s/checkout/deployment.yaml"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "")


@pytest.fixture
async def github() -> AsyncIterator[GitHubStandin]:
    standin = GitHubStandin(repo="acme/infra", source=REPO, token=TOKEN)
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
async def source(github: GitHubStandin) -> AsyncIterator[GitHubSource]:
    src = GitHubSource(token=TOKEN, repo="acme/infra", api_url=github.api_url)
    yield src
    await src.aclose()


async def test_deployments_come_newest_first_with_their_latest_state(github, source):
    old = await github.add_deployment("main", environment="staging", states=())
    new = await github.add_deployment("main", payload={"service": "checkout"}, creator="dana",
                                      description="checkout 2.19.0", states=("in_progress", "failure"))  # fmt: skip
    answer = await source.recent_deploys()
    assert answer["source"] == "github_deployments" and not answer["truncated"]
    latest, earlier = answer["deploys"]
    assert (latest["id"], latest["state"], latest["author"], latest["environment"]) == (new, "failure", "dana",
                                                                                        "production")  # fmt: skip
    assert latest["payload"] == {"service": "checkout"} and latest["description"] == "checkout 2.19.0"
    assert latest["commit"] == (await github.branches())["main"]
    assert (earlier["id"], earlier["state"]) == (old, "no status yet")


async def test_only_the_newest_deployments_are_read(github):
    for _ in range(4):
        await github.add_deployment("main")
    few = GitHubSource(token=TOKEN, repo="acme/infra", api_url=github.api_url, max_deploys=3)
    try:
        answer = await few.recent_deploys()
    finally:
        await few.aclose()
    assert [d["id"] for d in answer["deploys"]] == [4, 3, 2] and "newest 3" in answer["note"]


async def test_without_deployments_the_commits_of_the_window_stand_in(github):
    head = await github.push_commit("main", "README.md", "# infra\n", message="docs: readme\n\nlong body")
    now = time.time()
    recent = GitHubSource(token=TOKEN, repo="acme/infra", api_url=github.api_url, commit_hours=1, clock=lambda: now)
    later = GitHubSource(token=TOKEN, repo="acme/infra", api_url=github.api_url, commit_hours=1,
                         clock=lambda: now + 2 * 3600)  # fmt: skip
    try:
        answer, quiet = await recent.recent_deploys(), await later.recent_deploys()
    finally:
        await recent.aclose()
        await later.aclose()
    assert answer["source"] == "commits" and answer["deploys"] == [] and "not deploys" in answer["note"]
    assert [c["commit"] for c in answer["commits"]][0] == head and answer["commits"][0]["message"] == "docs: readme"
    assert quiet["commits"] == []  # nothing committed in the hour before `later`


async def test_a_commits_diff_and_a_long_one_cut_at_a_whole_line(github):
    long_text = "".join(f"line {i}: {'x' * 60}\n" for i in range(2000))
    sha = await github.push_commit("main", "big.txt", long_text, message="big")
    caps = Caps(max_bytes=5000)
    src = GitHubSource(token=TOKEN, repo="acme/infra", api_url=github.api_url, caps=caps)
    try:
        answer = await src.diff(sha[:10])
    finally:
        await src.aclose()
    assert answer["commit"] == sha[:10] and answer["truncated"] and "only its start" in answer["note"]
    assert answer["diff"].startswith("diff --git a/big.txt b/big.txt") and answer["diff"].endswith("\n")
    assert size(answer) <= caps.max_bytes


async def test_a_small_diff_is_whole(github, source):
    sha = await github.push_commit("main", MANIFEST, "replicas: 9\n", message="shrink")
    answer = await source.diff(sha)
    assert not answer["truncated"] and "+replicas: 9\n" in answer["diff"] and "note" not in answer


@pytest.mark.parametrize("commit", ["../pulls/1/merge", "HEAD", "abc12", "main", None, 7, "a" * 41])
async def test_a_commit_that_is_not_a_sha_is_refused_before_github_is_asked(github, source, commit):
    with pytest.raises(SourceError) as refused:
        await source.diff(commit)
    assert refused.value.error_type == "invalid_input" and github.requests == []


async def test_githubs_refusals_come_back_with_githubs_message_and_no_token(github, source):
    with pytest.raises(SourceError) as unknown:
        await source.diff("deadbeef00")
    assert (unknown.value.error_type, unknown.value.status) == ("unprocessable", 422)
    assert "No commit found for SHA: deadbeef00" in unknown.value.message
    wrong = GitHubSource(token="ghp_wrong_token", repo="acme/infra", api_url=github.api_url)
    try:
        with pytest.raises(SourceError) as denied:
            await wrong.recent_deploys()
    finally:
        await wrong.aclose()
    assert denied.value.error_type == "unauthorized" and "ghp_wrong_token" not in json.dumps(denied.value.as_dict())


async def test_a_rate_limited_request_is_retried_after_githubs_wait(github, source):
    github.fail_next(429, "API rate limit exceeded", retry_after=0, on="GET /deployments")
    assert (await source.recent_deploys())["source"] == "commits"
    assert [r.status for r in github.requests if r.path.endswith("/deployments")] == [429, 200]


async def test_the_tools_answer_from_github_when_it_is_configured(github, source):
    sha = await github.push_commit("main", MANIFEST, "replicas: 9\n", message="shrink")
    await github.add_deployment(sha)
    tools = IncidentTools(evidence=None, prs=None, session_id="sesn_t",  # type: ignore[arg-type]
                          handlers=tool_handlers(github=source))  # fmt: skip

    async def answer(call):
        state = reduce(IncidentState(session_id="sesn_t", title="t", started_at=datetime.now(UTC)), call)
        return await tools.answer(state.tools[call.id], state)

    deploys = await answer(ev.custom("get_recent_deploys"))
    assert not deploys.is_error and json.loads(deploys.text)["deploys"][0]["commit"] == sha
    diff = await answer(ev.custom("get_diff", commit=sha))
    assert not diff.is_error and "+replicas: 9" in json.loads(diff.text)["diff"]
    bad = await answer(ev.custom("get_diff", commit="nope"))
    assert bad.is_error and json.loads(bad.text)["source"] == "github"
