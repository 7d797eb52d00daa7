"""What a git child of the bot can see and reach: no token, no config of the repository's, nothing outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.prs.base import GitError
from bot.prs.git import run_git
from bot.prs.github import GitHubPullRequests
from bot.prs.local import LocalPullRequests

from standins.github import GitHubStandin

from tests.security.poison import new_file

CANARIES = {"SLACK_BOT_TOKEN": "xoxb-canary-1", "SLACK_APP_TOKEN": "xapp-canary-2",
            "ANTHROPIC_API_KEY": "sk-ant-canary-3", "GITHUB_TOKEN": "ghp_canary4", "SOME_PASSWORD": "canary-5"}


async def _child_env(cwd: Path) -> tuple[str, dict[str, str]]:
    out = await run_git(cwd, "-c", "alias.show-env=!env", "show-env")  # the bot's own git, asked to print env
    return out, dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


async def test_a_git_child_inherits_no_token_and_no_home_in_the_repository(tmp_path, monkeypatch):
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    await run_git(tmp_path, "init", "-q")
    out, env = await _child_env(tmp_path)
    assert not [n for n in env if n.startswith(("SLACK_", "ANTHROPIC_", "GITHUB_"))]
    assert "canary" not in out, "a git child saw the bot's secrets"
    home = Path(env["HOME"])
    assert home.is_dir() and not list(home.iterdir()) and env["XDG_CONFIG_HOME"] == env["HOME"]
    assert not home.resolve().is_relative_to(tmp_path.resolve()) and not tmp_path.resolve().is_relative_to(home)
    assert env["GIT_CONFIG_GLOBAL"] == os.devnull and env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["PATH"] and all(os.path.isabs(d) for d in env["PATH"].split(os.pathsep))


async def test_a_git_in_the_work_tree_is_never_the_git_that_runs(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    fake = tmp_path / "git"
    fake.write_text(f"#!/bin/sh\necho fake git >> {marker}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep + os.environ["PATH"])  # an empty entry means the current folder
    await run_git(tmp_path, "init", "-q")
    assert not marker.exists() and (tmp_path / ".git").is_dir()


@pytest.mark.parametrize("session_id", ["..", ".", "", "...", ".init-x", "../../etc"])
def test_a_session_id_cannot_name_a_folder_outside_the_repositories(tmp_path, session_id):
    root = tmp_path / "repos"
    path = LocalPullRequests(root).repo_path(session_id)
    assert path.parent == root and path.name not in ("", ".", "..") and not path.name.startswith(".")


def _symlink(path: str, target: str) -> str:
    return (f"diff --git a/{path} b/{path}\nnew file mode 120000\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1 @@\n+{target}\n\\ No newline at end of file\n")


def _bad_diff(kind: str, outside: Path) -> str:
    return {
        "dot-git": new_file(".git/hooks/post-checkout", "#!/bin/sh\ntouch MARK\n", mode="100755"),
        "nested-dot-git": new_file("sub/.git/config", "[core]\n\tfsmonitor = x\n"),
        "upper-dot-git": new_file(".GIT/config", "[core]\n\tfsmonitor = x\n"),
        "through-symlink": _symlink("escape", str(outside)) + new_file("escape/pwned", "x\n"),
    }[kind]


BAD = ["dot-git", "nested-dot-git", "upper-dot-git", "through-symlink"]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    (tmp_path / "outside").mkdir()
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "README.md").write_text("infra\n")
    return tmp_path / "source"


@pytest.mark.parametrize("kind", BAD)
async def test_a_diff_cannot_write_into_git_or_through_a_symlink(tmp_path, source, kind):
    prs = LocalPullRequests(tmp_path / "repos")
    repo = await prs.ensure_repo("sesn_1", source)
    with pytest.raises(GitError):
        await prs.open("sesn_1", title="t", body="", diff=_bad_diff(kind, tmp_path / "outside"), tool_use_id="toolu_1")
    assert not list((tmp_path / "outside").iterdir())
    assert not (repo / ".git/hooks/post-checkout").exists() and not (repo / ".GIT").exists()
    assert not (repo / "sub").exists() and not (repo / "escape").exists()


@pytest.mark.parametrize("kind", BAD)
async def test_the_github_store_refuses_the_same_diffs_and_creates_nothing(tmp_path, source, kind):
    github = GitHubStandin(repo="acme/infra", source=source, token="ghp_t")
    prs = GitHubPullRequests(token="ghp_t", repo="acme/infra", api_url=await github.start())
    try:
        with pytest.raises(GitError):
            await prs.open("sesn_1", title="t", body="", diff=_bad_diff(kind, tmp_path / "outside"),
                           tool_use_id="toolu_1")
        assert not [r for r in github.requests if r.method != "GET"] and list(await github.branches()) == ["main"]
        assert not list((tmp_path / "outside").iterdir())
    finally:
        await prs.aclose()
        await github.stop()
