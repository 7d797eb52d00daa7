"""Diffs as models write them (miscounted hunks, no `diff --git`, whitespace and line endings that differ) open a PR
in both stores, whose diff is the store's own; a diff that still does not apply says where and shows what is there."""

from __future__ import annotations

import difflib
import hashlib
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.prs.base import PullRequestStore
from bot.prs.github import GitHubPullRequests
from bot.prs.local import LocalPullRequests
from bot.prs.patching import DiffDoesNotApply
from bot.settings import REPO_ROOT
from standins.github import GitHubStandin

from tests.security.diffs import git_diff

DEPLOYMENT = "k8s/checkout/deployment.yaml"
CONFIGMAP = "k8s/checkout/configmap.yaml"
SPACES = "k8s/checkout/service.yaml"  # lines with trailing whitespace
WINDOWS = "k8s/checkout/limits.conf"  # CRLF line endings
WIDE = "k8s/checkout/wide.txt"  # long lines
TOKEN = "ghp_test_5ecret"
SID = "sesn_model"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO_ROOT / "fixtures" / "checkout-oom" / "repo", src)
    (src / SPACES).write_bytes(b"kind: Service  \nmetadata:\n  name: checkout \nspec:\n  port: 8080\t\n  type: ClusterIP\n")
    (src / WINDOWS).write_bytes(b"[limits]\r\nmemory = 128Mi\r\ncpu = 500m\r\n[done]\r\n")
    (src / WIDE).write_text("".join(f"{n:03d}" + "x" * 10_000 + "\n" for n in range(1, 60)))
    return src


@pytest.fixture(params=["local", "github"])
async def store(request, tmp_path: Path, source: Path) -> AsyncIterator[PullRequestStore]:
    if request.param == "local":
        prs = LocalPullRequests(tmp_path / "repos")
        await prs.ensure_repo(SID, source)
        yield prs
        return
    github = GitHubStandin(repo="acme/infra", source=source, token=TOKEN)
    await github.start()
    try:
        async with GitHubPullRequests(token=TOKEN, repo="acme/infra", api_url=github.api_url) as prs:
            await prs.ensure_repo(SID, source)
            yield prs
    finally:
        await github.stop()


def _unified(source: Path, path: str, old: str, new: str) -> str:
    text = (source / path).read_text()
    assert old in text
    after = text.replace(old, new)
    return "".join(difflib.unified_diff(text.splitlines(True), after.splitlines(True), f"a/{path}", f"b/{path}"))


def _miscount(diff: str) -> str:
    """Every hunk header off by a few lines, as a model that counted by eye writes it."""
    return re.sub(r"@@ -(\d+),(\d+) \+(\d+),(\d+) @@", lambda m: f"@@ -{m[1]},{int(m[2]) + 3} +{m[3]},{int(m[4]) - 1} @@",
                  diff)  # fmt: skip


def _windows_diff() -> str:  # written with LF, as a model that read the file through `cat` writes it
    return (f"--- a/{WINDOWS}\n+++ b/{WINDOWS}\n@@ -1,4 +1,4 @@\n [limits]\n-memory = 128Mi\n+memory = 512Mi\n"
            " cpu = 500m\n [done]\n")


def _spaces_diff() -> str:  # the context lines without the file's trailing whitespace
    return f"--- a/{SPACES}\n+++ b/{SPACES}\n@@ -3,4 +3,4 @@\n   name: checkout\n spec:\n-  port: 8080\n+  port: 9090\n   type: ClusterIP\n"


CASES = {
    "miscounted hunk header, no diff --git": lambda src: _miscount(_unified(src, DEPLOYMENT, "memory: 128Mi", "memory: 512Mi")),
    "two files without diff --git, miscounted": lambda src: _miscount(
        _unified(src, DEPLOYMENT, "memory: 128Mi", "memory: 512Mi")
        + _unified(src, CONFIGMAP, "true", "false")) + "\n\n",
    "LF diff of a CRLF file": lambda src: _windows_diff(),
    "trailing whitespace left out of the context": lambda src: _spaces_diff(),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_diff_as_models_write_it_opens_a_pr_whose_diff_is_the_stores_own(store, source, case):
    diff = CASES[case](source)
    pr = await store.open(SID, title="t", body="b", diff=diff, tool_use_id="toolu_model")
    assert pr.diff.startswith("diff --git ") and pr.diff != diff
    assert pr.diff_sha256 == hashlib.sha256(pr.diff.encode()).hexdigest()
    assert (await store.info(SID, pr.number)).diff == pr.diff
    added = [line for line in pr.diff.split("\n") if line.startswith("+") and not line.startswith("+++")]
    wanted = [line for line in diff.split("\n") if line.startswith("+") and not line.startswith("+++")]
    assert sorted(a.rstrip("\r") for a in added) == sorted(wanted)
    removed = [line for line in pr.diff.split("\n") if line.startswith("-") and not line.startswith("---")]
    assert len(removed) == len(wanted)  # only the lines the agent changed: no whitespace-only changes around them


def _second_hunk_wrong(source: Path) -> str:
    """Two hunks; the second's context is stale (a line that is not in the file)."""
    lines = (source / DEPLOYMENT).read_text().splitlines(True)
    changed = list(lines)
    changed[2] = "metadata:  # owned by shop\n"
    changed[48] = changed[48].replace("128Mi", "9Gi")
    diff = "".join(difflib.unified_diff(lines, changed, f"a/{DEPLOYMENT}", f"b/{DEPLOYMENT}", n=2))
    first, second = diff.split("\n@@ ", 2)[1:]
    return diff.split("\n@@ ", 1)[0] + "\n@@ " + first + "\n@@ " + second.replace(" " + lines[47], " stale: line\n", 1)


async def test_a_diff_that_still_does_not_apply_names_the_file_and_hunk_and_shows_the_lines_there(store, source):
    diff = _second_hunk_wrong(source)
    second = re.findall(r"^@@ [^\n]* @@", diff, re.MULTILINE)[1]
    with pytest.raises(DiffDoesNotApply) as raised:
        await store.open(SID, title="t", body="b", diff=diff, tool_use_id="toolu_bad")
    said = str(raised.value)
    assert f"{DEPLOYMENT}: patch does not apply: hunk 2 ({second}) does not match the file" in said
    real = (source / DEPLOYMENT).read_text().splitlines()
    assert f"   48 | {real[47]}" in said and f"   49 | {real[48]}" in said  # the region, numbered, as it is now
    assert "   10 | " not in said and len(said) < 4000
    assert "diff -u --label a/<path> --label b/<path>" in said
    assert await store.info(SID, 1) is None  # nothing was opened


async def test_what_is_no_hunk_or_no_file_is_said_in_words(store):
    missing = "--- a/k8s/checkout/nope.yaml\n+++ b/k8s/checkout/nope.yaml\n@@ -1 +1 @@\n-a\n+b\n"
    with pytest.raises(DiffDoesNotApply, match="k8s/checkout/nope.yaml is not in the repository"):
        await store.open(SID, title="t", body="b", diff=missing, tool_use_id="toolu_missing")
    stray = f"--- a/{DEPLOYMENT}\n+++ b/{DEPLOYMENT}\n@@ -1,2 +1,2 @@\n apiVersion: apps/v1\nkind: Deployment\n-x\n"
    with pytest.raises(DiffDoesNotApply, match=r"line 5 of the diff \('kind: Deployment'\) is neither a header nor"):
        await store.open(SID, title="t", body="b", diff=stray, tool_use_id="toolu_stray")


async def test_the_region_shown_is_bounded_however_long_the_lines(store):
    wrong = f"--- a/{WIDE}\n+++ b/{WIDE}\n@@ -20,3 +20,3 @@\n line 19\n-line 20\n+line twenty\n line 21\n"
    with pytest.raises(DiffDoesNotApply) as raised:
        await store.open(SID, title="t", body="b", diff=wrong, tool_use_id="toolu_wide")
    said = str(raised.value)
    assert "hunk 1 (@@ -20,3 +20,3 @@)" in said and "   17 | " in said and len(said) < 4000


async def test_a_git_diff_made_before_main_moved_is_merged_three_ways(tmp_path, source):
    prs = LocalPullRequests(tmp_path / "repos")  # the local store has the base's history: --3way can use it
    await prs.ensure_repo(SID, source)
    moved = await prs.open(SID, title="t", body="b", diff=_unified(source, DEPLOYMENT, "cpu: 250m", "cpu: 500m"),
                           tool_use_id="toolu_moved")  # fmt: skip
    await prs.merge(SID, moved.number, head_sha=moved.head_sha)
    # Made by git on the file as it was: its context still has "cpu: 250m", and its index line names that blob.
    stale = git_diff(lambda w: (w / DEPLOYMENT).write_text((w / DEPLOYMENT).read_text().replace('cpu: "1"', 'cpu: "2"')))
    pr = await prs.open(SID, title="t", body="b", diff=stale, tool_use_id="toolu_stale")
    changed = [line for line in pr.diff.split("\n") if line[:1] in ("+", "-") and line[:3] not in ("+++", "---")]
    assert changed == ['-              cpu: "1"', '+              cpu: "2"']
