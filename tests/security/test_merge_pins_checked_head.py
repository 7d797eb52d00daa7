"""A merge lands exactly the head whose diff the bot checked against the approval, never a later one."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from bot.prs.base import GitError
from bot.prs.local import LocalPullRequests
from tests.bot.prs.test_github import DEPLOYMENT, OOM, _approved_pr, _memory_diff, _merge, _open, github, prs, tools

__all__ = ["github", "prs", "tools"]  # the GitHub stand-in fixtures this module shares


async def test_a_push_and_a_concurrent_info_between_check_and_merge_cannot_land_the_push(github, prs, tools):
    state = await _approved_pr(tools)
    branch = github.pulls[0]["head"]
    approved_head = (await github.branches())[branch]
    seen = []

    async def push_and_look():  # after the gate's diff check, before its merge: someone pushes, another click reads
        await github.push_commit(branch, DEPLOYMENT, (await github.file_at(branch, DEPLOYMENT)) + "# sneaky\n")
        seen.append(await prs.info("sesn_t", 1))

    github.before("GET /pulls/1/merge", push_and_look)  # the gate's last read before it merges
    answer = await _merge(tools, state)
    assert "# sneaky" not in await github.file_at("main", DEPLOYMENT), "an unchecked head was merged"
    assert seen and (await github.branches())[branch] != approved_head  # the push and the read were in the window
    assert answer.is_error and "Head branch was modified" in answer.text
    put = next(r for r in github.requests if r.method == "PUT")
    assert put.json["sha"] == approved_head


async def test_the_github_store_merges_the_head_it_is_given(github, prs):
    pr = await _open(prs)
    branch = pr.branch
    await github.push_commit(branch, DEPLOYMENT, (await github.file_at(branch, DEPLOYMENT)) + "# sneaky\n")
    await prs.info("sesn_t", pr.number)  # reading again changes nothing about what merge() lands
    with pytest.raises(GitError, match="Head branch was modified"):
        await prs.merge("sesn_t", pr.number, head_sha=pr.head_sha)
    assert "# sneaky" not in await github.file_at("main", DEPLOYMENT)


def _commit_onto(repo, branch: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "HOME": "/nonexistent", "GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x",
           "GIT_COMMITTER_EMAIL": "x@x"}
    new = subprocess.run(["git", "commit-tree", "-p", branch, "-m", "sneaky", f"{branch}^{{tree}}"], cwd=repo,
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "update-ref", f"refs/heads/{branch}", new], cwd=repo, env=env, check=True)


async def test_the_local_store_refuses_to_merge_a_branch_that_moved(tmp_path):
    prs = LocalPullRequests(tmp_path / "repos")
    repo = await prs.ensure_repo("sesn_t", OOM / "repo")
    pr = await prs.open("sesn_t", title="t", body="", diff=_memory_diff(), tool_use_id="toolu_1")
    main = subprocess.run(["git", "rev-parse", "main"], cwd=repo, capture_output=True, text=True).stdout
    await asyncio.to_thread(_commit_onto, repo, pr.branch)
    with pytest.raises(GitError, match="changed"):
        await prs.merge("sesn_t", pr.number, head_sha=pr.head_sha)
    assert subprocess.run(["git", "rev-parse", "main"], cwd=repo, capture_output=True, text=True).stdout == main
    fresh = await prs.info("sesn_t", pr.number)
    assert fresh.head_sha != pr.head_sha
    await prs.merge("sesn_t", pr.number, head_sha=fresh.head_sha)
    assert await prs.is_merged("sesn_t", pr.number)
