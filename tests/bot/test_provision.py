"""Provisioning through the real AsyncAnthropic against the Managed Agents stand-in: idempotent, versioned."""

from __future__ import annotations

import pytest
from anthropic import AsyncAnthropic

from bot.agents.evidence import load_evidence
from bot.agents.provision import provision, teardown, upload_evidence
from bot.settings import REPO_ROOT, Settings
from standins.managed_agents import ManagedAgentsStandin


@pytest.fixture
async def api(monkeypatch):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    server = ManagedAgentsStandin()
    base_url = await server.start()
    client = AsyncAnthropic(base_url=base_url, api_key="sk-ant-test")
    try:
        yield server, client
    finally:
        await client.close()
        await server.stop()


def _settings(tmp_path, **changes) -> Settings:
    base = Settings(
        slack_bot_token="xoxb-t", slack_app_token="xapp-t", oncall_channel="C1", anthropic_api_key="sk-ant-test",
        work_dir=tmp_path,
    )  # fmt: skip
    return base.with_(**changes)


def _posts(server, path: str) -> int:
    return sum(1 for r in server.requests if r.method == "POST" and r.path == path)


async def test_provisioning_twice_reuses_everything(api, tmp_path):
    server, client = api
    first = await provision(client, _settings(tmp_path))
    second = await provision(client, _settings(tmp_path))
    assert first == second
    assert _posts(server, "/v1/agents") == 1 and _posts(server, "/v1/environments") == 1 and _posts(server, "/v1/skills") == 1
    agent = await client.beta.agents.retrieve(first.agent_id)
    names = {t.name for t in agent.tools if getattr(t, "type", "") == "custom"}
    assert names == {"open_pull_request", "request_approval", "merge_pull_request"}  # nothing else is configured
    assert [s.skill_id for s in agent.skills] == [first.skill_id]


async def test_the_agent_is_told_how_to_make_a_diff_and_how_to_ask_about_an_action(api, tmp_path):
    server, client = api
    agent = await client.beta.agents.retrieve((await provision(client, _settings(tmp_path))).agent_id)
    assert "read-only" in agent.system and "diff -u --label a/<path> --label b/<path>" in agent.system
    assert '"pr_number": null' in agent.system
    [ask] = [t for t in agent.tools if getattr(t, "name", "") == "request_approval"]
    assert ask.input_schema.properties["pr_number"]["type"] == ["integer", "null"]
    assert "\"pr_number\": null" in ask.description and "only this kind lets merge_pull_request merge" in ask.description


async def test_a_changed_definition_makes_a_new_version_of_the_same_agent(api, tmp_path):
    server, client = api
    first = await provision(client, _settings(tmp_path))
    changed = await provision(client, _settings(tmp_path, confirm_tools=("bash",)))
    assert changed.agent_id == first.agent_id and changed.agent_version == first.agent_version + 1
    assert _posts(server, "/v1/agents") == 1
    assert [a.id async for a in client.beta.agents.list()] == [first.agent_id]


async def test_evidence_is_uploaded_once_and_mounted_under_the_uploads_folder(api, tmp_path):
    server, client = api
    evidence = await load_evidence(REPO_ROOT / "fixtures" / "checkout-oom", work_dir=tmp_path)
    resources = await upload_evidence(client, evidence)
    again = await upload_evidence(client, evidence)  # a restarted bot: no cache, reuse by content hash
    assert resources == again
    assert _posts(server, "/v1/files") == len(evidence.files)
    mounts = {r["mount_path"] for r in resources}
    assert "/mnt/session/uploads/incident/logs/checkout.log" in mounts
    assert "/mnt/session/uploads/incident/repo/k8s/checkout/deployment.yaml" in mounts


async def test_teardown_archives_agent_and_environment(api, tmp_path):
    server, client = api
    await provision(client, _settings(tmp_path))
    archived = await teardown(client, _settings(tmp_path))
    assert any(a.startswith("agent ") for a in archived) and any(a.startswith("environment ") for a in archived)
    again = await provision(client, _settings(tmp_path))  # a fresh agent after teardown
    assert _posts(server, "/v1/agents") == 2 and again.agent_id not in {a.split()[1] for a in archived}


async def test_uploads_are_reused_from_every_page_and_never_from_a_session_copy(api, tmp_path):
    server, client = api
    evidence = await load_evidence(REPO_ROOT / "fixtures" / "checkout-oom", work_dir=tmp_path)
    resources = await upload_evidence(client, evidence)
    for i in range(30):  # newer uploads push the evidence past the first page of the listing
        await client.beta.files.upload(file=(f"other-{i}.txt", b"x", "text/plain"))
    p = await provision(client, _settings(tmp_path))
    session = await client.beta.sessions.create(agent=p.agent_id, environment_id=p.environment_id,
                                                resources=resources)  # session-scoped copies, same names
    gone = next(r["file_id"] for r in resources if r["mount_path"].endswith("logs/checkout.log"))
    await client.beta.files.delete(gone)  # only the session's copy of this one is left
    uploads = _posts(server, "/v1/files")

    again = await upload_evidence(client, evidence)  # a restarted bot: no cache
    assert _posts(server, "/v1/files") == uploads + 1  # only the deleted one is uploaded again
    copies = {f.id async for f in client.beta.files.list(scope_id=session.id)}
    assert not copies & {r["file_id"] for r in again}
    await client.beta.sessions.create(agent=p.agent_id, environment_id=p.environment_id, resources=again)
