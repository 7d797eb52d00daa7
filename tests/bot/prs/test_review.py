"""Reading a diff as git does: what is refused before a PR is opened, and what the card calls out in words."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.agents.evidence import load_evidence
from bot.prs.base import GitError
from bot.prs.local import LocalPullRequests
from bot.prs.review import MAX_DIFF_CHARS, review_diff
from bot.tools.answers import IncidentTools
from bot.run.reducer import reduce
from bot.run.state import IncidentState

from tests.bot import events as ev
from tests.security.diffs import REPO, add_gitlink, git, git_diff

LINK_RETARGETED = (
    "diff --git a/k8s/current b/k8s/current\nindex 1111111..2222222 120000\n--- a/k8s/current\n+++ b/k8s/current\n"
    "@@ -1 +1 @@\n-v1\n\\ No newline at end of file\n+/etc/shadow\n\\ No newline at end of file\n"
)
CI_MOVED_AWAY = (
    "diff --git a/.github/workflows/ci.yml b/docs/ci.yml\nsimilarity index 90%\nrename from .github/workflows/ci.yml\n"
    "rename to docs/ci.yml\nindex 1111111..2222222 100644\n--- a/.github/workflows/ci.yml\n+++ b/docs/ci.yml\n"
    "@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
)


async def test_binary_patches_links_and_submodules_are_refused_by_name():
    cases = {
        "heap.bin is a binary patch": git_diff(lambda w: (w / "heap.bin").write_bytes(b"\x00\x01" * 50)),
        "k8s/latest is a symbolic link": git_diff(lambda w: os.symlink("/etc/passwd", w / "k8s" / "latest")),
        "vendor/pricing is a submodule": git_diff(lambda w: None, staged=add_gitlink("vendor/pricing")),
        "changes an existing symbolic link": LINK_RETARGETED,
    }
    for words, diff in cases.items():
        review = await review_diff(diff)
        assert any(words in r for r in review.refusals), (words, review)


async def test_a_miscounted_diff_is_reviewed_as_the_store_will_apply_it():
    # As written, git cannot read this hunk (it says 3 lines and has 1); recounted it creates a link: still refused.
    link = git_diff(lambda w: os.symlink("/etc/passwd", w / "k8s" / "latest")).replace("@@ -0,0 +1 @@", "@@ -0,0 +1,3 @@")
    secret = "--- a/k8s/x.yaml\n+++ b/k8s/x.yaml\n@@ -1,1 +1,9 @@\n-a\n+token: ghp_" + "A1b2C3d4" * 5 + "\n"
    assert any("k8s/latest is a symbolic link" in r for r in (await review_diff(link)).refusals)
    assert any("looks like a secret" in r for r in (await review_diff(secret)).refusals)


def _risky(work: Path) -> None:
    (work / ".github" / "workflows").mkdir(parents=True)
    (work / ".github" / "workflows" / "deploy.yml").write_text("on: push\n")
    (work / ".gitmodules").write_text("[submodule]\n")
    (work / "k8s" / ".gitconfig").write_text("[core]\n")
    (work / "Dockerfile.debug").write_text("FROM scratch\n")
    (work / "pyproject.toml").write_text("[build-system]\n")
    new = work / "bin" / "warm up.sh"
    new.parent.mkdir()
    new.write_text("#!/bin/sh\n")
    new.chmod(0o755)
    os.chmod(work / "k8s" / "checkout" / "configmap.yaml", 0o755)


async def test_files_outside_the_usual_tree_and_new_modes_are_called_out_in_words():
    review = await review_diff(git_diff(_risky))
    assert review.refusals == ()
    assert set(review.notes) == {
        "new executable file bin/warm up.sh",
        "mode change 100644 → 100755 on k8s/checkout/configmap.yaml (makes it executable)",
        ".github/workflows/deploy.yml is under .github/ (CI workflows, actions and review rules)",
        ".gitmodules is a dotfile (configuration that git, CI or other tools obey)",
        "k8s/.gitconfig is a dotfile (configuration that git, CI or other tools obey)",
        "Dockerfile.debug is a build or CI script",
        "pyproject.toml is a build or CI script",
    }


async def test_a_file_moved_out_of_github_is_called_out_by_its_old_name():
    review = await review_diff(CI_MOVED_AWAY)
    assert any(n.startswith(".github/workflows/ci.yml is under .github/") for n in review.notes)


async def test_an_ordinary_change_has_nothing_to_call_out():
    path = "k8s/checkout/deployment.yaml"
    review = await review_diff(git_diff(lambda w: (w / path).write_text((w / path).read_text().replace("3", "4"))))
    assert review.refusals == () and review.notes == ()


async def test_a_diff_too_big_to_review_is_refused_before_git_reads_it():
    review = await review_diff("+" + "x" * MAX_DIFF_CHARS)
    assert review.refusals and "characters" in review.refusals[0]


async def test_text_that_is_no_diff_is_a_git_error():
    with pytest.raises(GitError):
        await review_diff("please merge me")


async def test_a_patch_that_retargets_an_existing_link_is_refused_once_the_store_shows_the_link(tmp_path):
    # The agent's text names no mode, so only the store knows the file is a link: its diff says so.
    evidence = await load_evidence(REPO.parent, work_dir=tmp_path / "work")
    prs = LocalPullRequests(tmp_path / "repos")
    tools = IncidentTools(evidence=evidence, prs=prs, session_id="sesn_link")
    repo = await prs.ensure_repo("sesn_link", evidence.repo_dir)  # a repository that holds a link on main
    os.symlink("checkout/deployment.yaml", repo / "k8s" / "current")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link the current manifest")
    diff = ("--- a/k8s/current\n+++ b/k8s/current\n@@ -1 +1 @@\n-checkout/deployment.yaml\n"
            "\\ No newline at end of file\n+/etc/shadow\n\\ No newline at end of file\n")
    assert (await review_diff(diff)).refusals == ()
    call = ev.custom("open_pull_request", title="Point at the new manifest", body="b", diff=diff)
    start = IncidentState(session_id="sesn_link", title="t", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    state = reduce(start, call)
    answer = await tools.answer(state.tools[call.id], state)
    assert answer.is_error and "changes an existing symbolic link" in json.loads(answer.text)["error"]
    assert "will neither ask approval for pull request #1 nor merge it" in answer.text
    assert not reduce(state, ev.custom_result(call, answer.text, is_error=True)).prs


async def test_a_diff_that_adds_a_secret_is_refused_and_one_that_removes_it_is_called_out():
    token = "xoxb-" + "1234567890-" * 3 + "abcdef"
    adds = f"--- a/k8s/app.env\n+++ b/k8s/app.env\n@@ -1 +1,2 @@\n SAFE=1\n+SLACK_TOKEN={token}\n"
    review = await review_diff(adds)
    assert any("k8s/app.env" in r and "looks like a secret" in r for r in review.refusals), review
    assert token not in " ".join(review.refusals)  # the refusal itself never repeats it
    removes = f"--- a/k8s/app.env\n+++ b/k8s/app.env\n@@ -1,2 +1 @@\n SAFE=1\n-SLACK_TOKEN={token}\n"
    review = await review_diff(removes)
    assert not review.refusals
    assert any("redacted" in n and "k8s/app.env" in n for n in review.notes), review
