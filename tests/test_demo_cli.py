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


def test_live_metrics_without_prometheus_says_how_to_install_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update(HTTP_PROXY="", HTTPS_PROXY="", http_proxy="", https_proxy="", PATH=str(tmp_path))  # no binaries here
    done = subprocess.run([sys.executable, "-m", "bot", "demo", "--live-metrics", "--headless", "--approve"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "apt-get install prometheus prometheus-alertmanager" in done.stderr
    assert "prometheus and prometheus-alertmanager are not installed" in done.stderr


@pytest.mark.slow  # the real Prometheus and Alertmanager, and a whole demo: about twenty seconds
def test_the_live_metrics_demo_runs_the_real_pipeline_to_a_merge_and_a_resolved_alert():
    done = _demo("--live-metrics", "--approve")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "merged PRs: #1" in out and "not Claude" in out
    assert "Prometheus holds `request_latency_p99_seconds" in out  # the agent's numbers came from Prometheus
    assert "2,400 ms" in out and "80 ms" in out
    assert "Alertmanager resolved the alert" in out
