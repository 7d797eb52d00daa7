"""Diffs made by git itself on a copy of the OOM fixture's repository, for the security tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import FIXTURES

REPO = FIXTURES / "checkout-oom" / "repo"
_ENV = {"PATH": os.environ.get("PATH", ""), "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity and no user or system config."""
    done = subprocess.run(["git", *args], cwd=repo, env=_ENV, capture_output=True, check=True)
    return done.stdout.decode()


def git_diff(change: Callable[[Path], None], *, staged: Callable[[Path], None] | None = None) -> str:
    """`git diff --binary` of what `change` does to a checkout of the fixture repository (staged with add -A),
    plus what `staged` puts straight into the index."""
    work = Path(tempfile.mkdtemp(prefix="sec-diff-"))
    try:
        shutil.copytree(REPO, work, dirs_exist_ok=True)
        git(work, "init", "-q", "-b", "main")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "base")
        change(work)
        git(work, "add", "-A")
        if staged is not None:
            staged(work)
        return git(work, "diff", "--cached", "--binary")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def add_gitlink(path: str) -> Callable[[Path], None]:
    """Stages a submodule entry (mode 160000) at `path`, as `git submodule add` would."""
    return lambda work: git(work, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},{path}")
