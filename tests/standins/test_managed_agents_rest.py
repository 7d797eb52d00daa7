"""The Managed Agents stand-in's REST surface, driven through the real AsyncAnthropic client."""

from __future__ import annotations

from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.types.beta import (
    BetaEnvironment,
    BetaEnvironmentDeleteResponse,
    BetaFileMetadata,
    BetaManagedAgentsAgent,
    BetaManagedAgentsDeletedSession,
    BetaManagedAgentsSession,
    BetaSkill,
)
from anthropic.types.beta.skills import BetaSkillVersion
from anthropic.types.shared import ErrorResponse

from standins.managed_agents import ManagedAgentsStandin

SKILLS_BETA = ["skills-2025-10-02"]


@pytest.fixture
def brain() -> None:
    """The offline investigator, as the demo runs it."""
    return None


def strict(model: Any, raw: Any) -> Any:
    """Validate a raw HTTP response body against an SDK model, strictly, as it came off the wire."""
    return pydantic.TypeAdapter(model).validate_json(raw.http_response.content, strict=True)


async def make_agent(client: anthropic.AsyncAnthropic, **extra: Any) -> Any:
    raw = await client.beta.agents.with_raw_response.create(
        name="incident-bot",
        model={"id": "claude-opus-4-8", "effort": "medium"},
        system="You investigate incidents.",
        tools=[
            {"type": "agent_toolset_20260401",
             "configs": [{"name": "bash", "permission_policy": {"type": "always_ask"}}]},
            {"type": "custom", "name": "get_metrics", "description": "Metrics",
             "input_schema": {"type": "object", "properties": {"service": {"type": "string"}}}},
        ],
        metadata={"owner": "sre"},
        **extra,
    )
    return strict(BetaManagedAgentsAgent, raw)


async def test_agent_versions_archive_and_lists(client: anthropic.AsyncAnthropic) -> None:
    agent = await make_agent(client)
    assert agent.version == 1 and agent.model.effort.type == "medium"
    toolset = agent.tools[0]
    assert toolset.configs[0].permission_policy.type == "always_ask"
    assert toolset.default_config.permission_policy.type == "always_allow"

    raw = await client.beta.agents.with_raw_response.update(agent.id, version=1, system="New prompt")
    updated = strict(BetaManagedAgentsAgent, raw)
    assert updated.version == 2 and updated.system == "New prompt"
    with pytest.raises(anthropic.ConflictError):
        await client.beta.agents.update(agent.id, version=1, system="Stale write")
    unchanged = await client.beta.agents.update(agent.id, system="New prompt")
    assert unchanged.version == 2
    assert (await client.beta.agents.retrieve(agent.id, version=1)).system == "You investigate incidents."
    assert [v.version async for v in client.beta.agents.versions.list(agent.id)] == [2, 1]

    other = await make_agent(client)
    archived = await client.beta.agents.archive(other.id)
    assert archived.archived_at is not None
    assert [a.id async for a in client.beta.agents.list()] == [agent.id]
    assert {a.id async for a in client.beta.agents.list(include_archived=True)} == {agent.id, other.id}
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.agents.retrieve("agent_missing")


async def test_environment_lifecycle(client: anthropic.AsyncAnthropic) -> None:
    raw = await client.beta.environments.with_raw_response.create(
        name="incident-env", config={"type": "cloud", "packages": {"pip": ["pyyaml"]}}, metadata={"a": "b"})
    env = strict(BetaEnvironment, raw)
    assert env.config.packages.pip == ["pyyaml"] and env.config.networking.type == "unrestricted"
    updated = await client.beta.environments.update(env.id, description="for incidents")
    assert updated.description == "for incidents"
    assert [e.id async for e in client.beta.environments.list()] == [env.id]
    assert (await client.beta.environments.archive(env.id)).archived_at is not None
    assert [e.id async for e in client.beta.environments.list()] == []
    raw = await client.beta.environments.with_raw_response.delete(env.id)
    assert strict(BetaEnvironmentDeleteResponse, raw).id == env.id
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.environments.retrieve(env.id)
    with pytest.raises(anthropic.BadRequestError):
        await client.beta.environments.create(name="x", config={"type": "self_hosted"})


async def test_files_upload_download_delete(client: anthropic.AsyncAnthropic) -> None:
    raw = await client.beta.files.with_raw_response.upload(file=("oom.md", b"# OOM runbook\n", "text/markdown"))
    meta = strict(BetaFileMetadata, raw)
    assert (meta.filename, meta.size_bytes, meta.mime_type) == ("oom.md", 14, "text/markdown")
    assert (await client.beta.files.retrieve_metadata(meta.id)).id == meta.id
    content = await client.beta.files.download(meta.id)
    assert await content.read() == b"# OOM runbook\n"
    assert [f.id async for f in client.beta.files.list()] == [meta.id]
    assert (await client.beta.files.delete(meta.id)).id == meta.id
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.files.retrieve_metadata(meta.id)


async def test_skills_multipart_with_paths_and_versions(client: anthropic.AsyncAnthropic) -> None:
    files = [
        ("incident-runbooks/SKILL.md", b"---\nname: incident-runbooks\ndescription: Runbooks\n---\nUse them.\n",
         "text/markdown"),
        ("incident-runbooks/oom.md", b"# OOM\n", "text/markdown"),
    ]
    raw = await client.beta.skills.with_raw_response.create(files=files, betas=SKILLS_BETA)
    skill = strict(BetaSkill, raw)
    assert skill.display_name == "incident-runbooks" and skill.source.type == "custom"
    raw = await client.beta.skills.versions.with_raw_response.create(skill.id, files=files, betas=SKILLS_BETA)
    version = strict(BetaSkillVersion, raw)
    assert version.name == "incident-runbooks" and version.description == "Runbooks"
    assert (await client.beta.skills.retrieve(skill.id, betas=SKILLS_BETA)).latest_version_id == version.id
    assert len([v async for v in client.beta.skills.versions.list(skill.id, betas=SKILLS_BETA)]) == 2
    with pytest.raises(anthropic.BadRequestError, match="SKILL.md"):
        await client.beta.skills.create(files=[("x/readme.md", b"hi", "text/plain")], betas=SKILLS_BETA)
    agent = await make_agent(client, skills=[{"type": "custom", "skill_id": skill.id}])
    assert agent.skills[0].version == version.id


async def test_session_crud_metadata_limits_and_pagination(client: anthropic.AsyncAnthropic) -> None:
    agent = await make_agent(client)
    env = await client.beta.environments.create(name="env")
    upload = await client.beta.files.upload(file=("a.log", b"line\n", "text/plain"))
    raw = await client.beta.sessions.with_raw_response.create(
        agent=agent.id, environment_id=env.id, title="Checkout OOM", metadata={"incident_id": "inc-1"},
        resources=[{"type": "file", "file_id": upload.id}])
    session = strict(BetaManagedAgentsSession, raw)
    assert session.status == "idle" and session.agent.version == 1
    assert session.resources[0].mount_path == f"/mnt/session/uploads/{upload.id}"

    too_many = {f"k{i}": "v" for i in range(17)}
    for bad in ({"metadata": too_many}, {"metadata": {"k" * 65: "v"}}, {"metadata": {"k": "v" * 513}},
                {"title": "t" * 81}, {"title": "bad\ntitle"}):
        with pytest.raises(anthropic.BadRequestError):
            await client.beta.sessions.create(agent=agent.id, environment_id=env.id, **bad)
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.sessions.create(agent=agent.id, environment_id=env.id,
                                          resources=[{"type": "file", "file_id": "file_nope"}])

    updated = await client.beta.sessions.update(session.id, metadata={"incident_id": None, "slack_channel": "C1"},
                                                title="Renamed")
    assert updated.metadata == {"slack_channel": "C1"} and updated.title == "Renamed"
    pinned = await client.beta.sessions.create(agent={"type": "agent", "id": agent.id, "version": 1},
                                               environment_id=env.id)
    others = [await client.beta.sessions.create(agent=agent.id, environment_id=env.id) for _ in range(3)]
    all_ids = [session.id, pinned.id, *(s.id for s in others)]

    first = await client.beta.sessions.list(limit=2, statuses=["idle"], agent_id=agent.id)
    assert [s.id for s in first.data] == all_ids[::-1][:2] and first.prev_page is None and first.next_page
    assert [s.id async for s in client.beta.sessions.list(limit=2, statuses=["idle"])] == all_ids[::-1]
    assert [s.id async for s in client.beta.sessions.list(limit=2, order="asc")] == all_ids
    assert [s.id async for s in client.beta.sessions.list(statuses=["running", "terminated"])] == []
    second = await client.beta.sessions.list(limit=2, page=first.next_page)
    assert second.prev_page and [s.id for s in (await client.beta.sessions.list(
        limit=2, page=second.prev_page)).data] == [s.id for s in first.data]

    await client.beta.sessions.archive(others[0].id)
    assert others[0].id not in [s.id async for s in client.beta.sessions.list()]
    raw = await client.beta.sessions.with_raw_response.delete(others[1].id)
    assert strict(BetaManagedAgentsDeletedSession, raw).id == others[1].id
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.sessions.retrieve(others[1].id)


async def test_auth_beta_header_and_unimplemented_paths(
    client: anthropic.AsyncAnthropic, server: ManagedAgentsStandin
) -> None:
    with pytest.raises(anthropic.AuthenticationError) as missing:
        await client.beta.agents.list(extra_headers={"Authorization": anthropic.omit})
    body = ErrorResponse.model_validate(missing.value.body)
    assert body.error.type == "authentication_error" and body.request_id
    await client.beta.agents.list(extra_headers={"Authorization": anthropic.omit, "X-Api-Key": "sk-test"})

    with pytest.raises(anthropic.BadRequestError, match="managed-agents-2026-04-01"):
        await client.get("/v1/agents", cast_to=object)
    with pytest.raises(anthropic.NotFoundError) as unknown:
        await client.get("/v1/teleport", cast_to=object)
    assert ErrorResponse.model_validate(unknown.value.body).error.type == "not_found_error"
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.sessions.resources.list("sesn_x")
    with pytest.raises(anthropic.NotFoundError):
        await client.delete("/v1/agents", cast_to=object)
    assert [(r.method, r.path, r.status) for r in server.requests[-3:]] == [
        ("GET", "/v1/teleport", 404), ("GET", "/v1/sessions/sesn_x/resources", 404), ("DELETE", "/v1/agents", 404)]


async def test_fail_next_with_retry_after_is_honoured(server: ManagedAgentsStandin) -> None:
    client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="sk-test", max_retries=2)
    server.fail_next("POST", "/v1/environments", 429, count=2, retry_after=0.2)
    env = await client.beta.environments.create(name="retried")
    tries = [r for r in server.requests if r.path == "/v1/environments"]
    assert [r.status for r in tries] == [429, 429, 200]
    assert all(b.at - a.at >= 0.19 for a, b in zip(tries, tries[1:]))
    assert env.name == "retried" and len(server.registry.environments) == 1

    server.fail_next("GET", r"/v1/environments/[^/]+", 529, count=3)
    with pytest.raises(anthropic.OverloadedError):
        await client.with_options(max_retries=0).beta.environments.retrieve(env.id)
    server.fail_next("*", "/v1/environments", 500)
    with pytest.raises(anthropic.InternalServerError):
        await client.with_options(max_retries=0).beta.environments.list()
    await client.close()
