"""Nothing canned in production: the agent's tools, prompt and skill come from what the settings configure.

Provisioned through the real AsyncAnthropic against the Managed Agents stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from anthropic import AsyncAnthropic

from bot.agents.provision import provision
from bot.settings import REPO_ROOT, Settings, load_settings
from standins.managed_agents import ManagedAgentsStandin

OOM = REPO_ROOT / "fixtures" / "checkout-oom"
PR_TOOLS = {"open_pull_request", "request_approval", "merge_pull_request"}
DATA_TOOLS = {"get_metrics", "get_recent_deploys", "get_diff"}
FIXTURE_WORDS = ("/mnt/session/incident", "oom.md", "5xx.md", "latency.md", "checkout")


@pytest.fixture
async def api():
    server = ManagedAgentsStandin()
    client = AsyncAnthropic(base_url=await server.start(), api_key="sk-ant-test")
    try:
        yield server, client
    finally:
        await client.close()
        await server.stop()


def _settings(tmp_path: Path, **changes) -> Settings:
    return Settings(slack_bot_token="xoxb-t", slack_app_token="xapp-t", oncall_channel="C1",
                    anthropic_api_key="sk-ant-test", work_dir=tmp_path / "work", **changes)  # fmt: skip


async def _agent(client: AsyncAnthropic, settings: Settings):
    provisioned = await provision(client, settings)
    return provisioned, await client.beta.agents.retrieve(provisioned.agent_id)


def _custom(agent) -> set[str]:
    return {t.name for t in agent.tools if getattr(t, "type", "") == "custom"}


async def _skill_files(server: ManagedAgentsStandin, agent) -> dict[str, bytes]:
    [ref] = agent.skills
    return server.registry.skill(ref.skill_id).files[ref.version]


def test_production_settings_name_no_canned_evidence(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_APP_TOKEN": "xapp-t", "ONCALL_CHANNEL": "C1",
           "ANTHROPIC_API_KEY": "sk-ant-test"}  # fmt: skip
    settings = load_settings(env, dotenv_path=None)
    assert settings.incident_data is None
    assert settings.runbooks_dir is None and not settings.prometheus_url and not settings.loki_url


async def test_with_nothing_configured_the_agent_gets_only_the_pull_request_tools(api, tmp_path):
    server, client = api
    _, agent = await _agent(client, _settings(tmp_path))
    assert _custom(agent) == PR_TOOLS
    skill_md = (await _skill_files(server, agent))["incident-runbooks/SKILL.md"].decode()
    for word in FIXTURE_WORDS:
        assert word not in agent.system, word
        assert word not in skill_md, word
    for tool in DATA_TOOLS | {"query_prometheus", "query_logs"}:
        assert tool not in agent.system


async def test_each_configured_provider_adds_its_tool_and_the_prompt_says_so(api, tmp_path):
    server, client = api
    settings = _settings(tmp_path, prometheus_url="http://prometheus.example:9090", loki_url="http://loki.example")
    _, agent = await _agent(client, settings)
    assert _custom(agent) == PR_TOOLS | {"query_prometheus", "query_logs"}
    assert "query_prometheus" in agent.system and "query_logs" in agent.system
    prometheus = next(t for t in agent.tools if getattr(t, "name", "") == "query_prometheus")
    assert prometheus.input_schema.required == ["query"]

    _, canned = await _agent(client, settings.with_(prometheus_url="", loki_url="", incident_data=OOM))
    assert _custom(canned) == PR_TOOLS | DATA_TOOLS  # the demo's and the tests' canned data tools
    assert canned.version == agent.version + 1 and canned.id == agent.id  # a changed tool list: a new version
    for word in FIXTURE_WORDS:
        assert word not in canned.system, word


async def test_the_team_runbooks_are_the_skill_files_and_only_a_change_makes_a_new_version(api, tmp_path):
    server, client = api
    books = tmp_path / "runbooks"
    (books / "db").mkdir(parents=True)
    (books / "disk-full.md").write_text("# Disk full\n1. Find the biggest directories with du.\n")
    (books / "db" / "replication-lag.md").write_text("# Replication lag\nCheck the replica's IO thread.\n")
    (books / "notes.txt").write_text("not a runbook")
    settings = _settings(tmp_path, runbooks_dir=books)

    first, agent = await _agent(client, settings)
    files = await _skill_files(server, agent)
    assert set(files) == {"incident-runbooks/SKILL.md", "incident-runbooks/runbooks/disk-full.md",
                          "incident-runbooks/runbooks/db/replication-lag.md"}  # fmt: skip
    assert files["incident-runbooks/runbooks/disk-full.md"].startswith(b"# Disk full")
    skill_md = files["incident-runbooks/SKILL.md"].decode()
    assert "disk-full.md" in skill_md and "db/replication-lag.md" in skill_md  # the team's own, listed

    again, _ = await _agent(client, settings)
    assert again == first
    assert len(server.registry.skill(first.skill_id).versions) == 1

    (books / "disk-full.md").write_text("# Disk full\n1. Page the storage team.\n")
    changed, agent = await _agent(client, settings)
    assert changed.skill_id == first.skill_id and changed.agent_version == first.agent_version + 1
    assert len(server.registry.skill(first.skill_id).versions) == 2
    files = await _skill_files(server, agent)  # the new agent version pins the new skill version
    assert b"storage team" in files["incident-runbooks/runbooks/disk-full.md"]


async def test_github_offers_its_deploys_and_diffs_without_canned_data(api, tmp_path):
    server, client = api
    _, agent = await _agent(client, _settings(tmp_path, github_token="ghp_t", github_repo="acme/infra"))
    assert _custom(agent) == PR_TOOLS | {"get_recent_deploys", "get_diff"}  # no canned metrics
    assert "get_recent_deploys" in agent.system and "get_metrics" not in agent.system
