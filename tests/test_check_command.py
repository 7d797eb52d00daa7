"""`python -m bot check` checks every configured provider and prints one line each: ok, or what is wrong and how to
fix it; it exits non-zero when something required fails. Run against the stand-ins and a real Prometheus."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.settings import REPO_ROOT
from standins.github import GitHubStandin
from standins.loki import LokiStandin
from standins.managed_agents import ManagedAgentsStandin
from standins.slack import SlackStandin
from tests.support.fixtures import exporter, prometheus, servers  # noqa: F401  (fixtures)
from tests.support.servers import PrometheusServer

# What a workspace grants when the app is installed from manifest.yaml: exactly what it asks for.
ALL_SCOPES = tuple(yaml.safe_load((REPO_ROOT / "manifest.yaml").read_text())["oauth_config"]["scopes"]["bot"])


@dataclass
class Place:
    slack: SlackStandin
    agents: ManagedAgentsStandin
    loki: LokiStandin
    github: GitHubStandin
    env: dict[str, str]


@pytest.fixture
async def place(tmp_path: Path) -> AsyncIterator[Place]:
    slack = SlackStandin(channels={"C0ONCALL": "oncall"}, bot_token="xoxb-right", app_token="xapp-right",
                         scopes=ALL_SCOPES)  # fmt: skip
    agents = ManagedAgentsStandin(api_key="sk-ant-right")
    loki = LokiStandin(token="loki-right")
    github = GitHubStandin(repo="acme/infra", source=REPO_ROOT / "fixtures" / "checkout-oom" / "repo",
                           token="ghp_right")  # fmt: skip
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "disk-full.md").write_text("# Disk full\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_", "GITHUB_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-right", SLACK_APP_TOKEN="xapp-right", SLACK_API_URL=await slack.start(),
        ANTHROPIC_API_KEY="sk-ant-right", ANTHROPIC_BASE_URL=await agents.start(), ONCALL_CHANNEL="C0ONCALL",
        LOKI_URL=await loki.start(), LOKI_TOKEN="loki-right", GITHUB_API_URL=await github.start(),
        GITHUB_TOKEN="ghp_right", GITHUB_REPO="acme/infra", RUNBOOKS_DIR=str(books), WORK_DIR=str(tmp_path / "w"),
        HTTP_PROXY="", HTTPS_PROXY="", http_proxy="", https_proxy="",
    )  # fmt: skip
    try:
        yield Place(slack, agents, loki, github, env)
    finally:
        for server in (github, loki, agents, slack):
            await server.stop()


async def _check(env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Exit code, the printed lines by the name they start with (after the verdict), and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", cwd=REPO_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = {}
    for line in out.decode().splitlines():
        verdict, _, rest = line.partition(" ")
        name = rest.strip().split(":", 1)[0]
        lines[name] = f"{verdict} {rest.strip()}"
    return proc.returncode, lines, err.decode()


async def test_everything_configured_and_working_is_ok(place: Place):
    code, lines, err = await _check(place.env)
    assert code == 0, (lines, err)
    for name in ("Slack bot token", "Slack app token", "Anthropic API key", "Loki", "GitHub", "Runbooks"):
        assert lines[name].startswith("ok"), lines
    assert lines["Prometheus"].startswith("off") and "PROMETHEUS_URL" in lines["Prometheus"]
    assert lines["Incident data"].startswith("off")


async def test_each_problem_is_named_with_its_fix_and_the_exit_code_says_so(place: Place, tmp_path: Path):
    empty = tmp_path / "empty-runbooks"
    empty.mkdir()
    place.slack.scopes = tuple(s for s in ALL_SCOPES if s != "files:write")
    env = {**place.env, "LOKI_TOKEN": "loki-wrong", "PROMETHEUS_URL": "http://127.0.0.1:9",
           "GITHUB_TOKEN": "ghp_wrong", "RUNBOOKS_DIR": str(empty), "ANTHROPIC_API_KEY": "sk-ant-wrong"}  # fmt: skip
    code, lines, err = await _check(env)
    assert code == 1, (lines, err)
    assert lines["Slack bot token"].startswith("FAIL") and "files:write" in lines["Slack bot token"]
    assert "reinstall" in lines["Slack bot token"]
    assert lines["Slack app token"].startswith("ok")
    assert lines["Anthropic API key"].startswith("FAIL") and "ANTHROPIC_API_KEY" in lines["Anthropic API key"]
    assert lines["Loki"].startswith("FAIL") and "LOKI_TOKEN" in lines["Loki"]
    assert lines["Prometheus"].startswith("FAIL") and "unreachable" in lines["Prometheus"]
    assert lines["GitHub"].startswith("FAIL") and "GITHUB_TOKEN" in lines["GitHub"]
    assert lines["Runbooks"].startswith("FAIL") and ".md" in lines["Runbooks"]
    printed = "\n".join(lines.values()) + err
    for secret in ("loki-wrong", "ghp_wrong", "sk-ant-wrong", "xoxb-right"):
        assert secret not in printed


async def test_a_real_prometheus_passes_the_check(place: Place, prometheus: PrometheusServer):
    code, lines, err = await _check({**place.env, "PROMETHEUS_URL": prometheus.url})
    assert code == 0, (lines, err)
    assert lines["Prometheus"].startswith("ok") and prometheus.url in lines["Prometheus"]
