"""`python -m bot demo --headless` as a new user runs it: exit code, transcript and outcome."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import REPO_ROOT


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update(HTTP_PROXY="", HTTPS_PROXY="", http_proxy="", https_proxy="")
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--headless", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


@pytest.mark.slow  # three whole demos, each its own `python -m bot demo`: half a minute
@pytest.mark.parametrize(
    ("args", "merged"),
    [
        (("--approve",), "merged PRs: #1"),
        (("--reject", "--incident", "2277"), "merged PRs: none"),
        (("--approve", "--alert", "grafana"), "merged PRs: #1"),
    ],
)
def test_the_headless_demo_ends_as_decided(args, merged):
    done = _demo(*args)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert merged in done.stdout
    assert "\ngit repository: " in done.stdout  # where the PRs are, to look at them after the demo
    assert "not Claude" in done.stdout  # the offline investigator says what it is
    assert "--- the thread in #oncall, as it ends ---" in done.stdout


def test_headless_without_a_decision_is_a_usage_error():
    done = _demo()
    assert done.returncode == 2 and "--approve or --reject" in done.stderr
