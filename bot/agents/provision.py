"""Idempotent provisioning of the skill, the agent and the environment, and evidence upload (reuse by hash)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass

from anthropic import AsyncAnthropic
from anthropic.types.beta import BetaManagedAgentsAgent, BetaManagedAgentsCustomSkill

from bot.agents.definition import agent_tools, system_prompt
from bot.agents.evidence import Evidence
from bot.agents.runbooks import SKILL_NAME, read_runbooks, skill_files
from bot.settings import Settings
from bot.sources.registry import Providers, configured

__all__ = ["Provisioned", "provision", "teardown", "upload_evidence"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Provisioned:
    agent_id: str
    agent_version: int
    environment_id: str
    skill_id: str


def _sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


async def _find_skill(client: AsyncAnthropic) -> str | None:
    async for skill in client.beta.skills.list():
        if skill.display_name == SKILL_NAME:
            return skill.id
    return None


async def _skill_version(client: AsyncAnthropic, files: list[tuple[str, bytes, str]], pinned: tuple[str, str] | None,
                         ) -> tuple[str, str]:  # fmt: skip
    """The runbook skill's (id, version) holding exactly `files`: the agent's pinned one, or a new version."""
    if pinned is not None:
        return pinned
    skill_id = await _find_skill(client)
    if skill_id is None:
        created = await client.beta.skills.create(display_name=SKILL_NAME, files=files)
        log.info("created skill %s (%s)", SKILL_NAME, created.id)
        return created.id, created.latest_version_id
    version = await client.beta.skills.versions.create(skill_id, files=files)
    log.info("the runbooks changed: skill %s is now version %s", skill_id, version.id)
    return skill_id, version.id


def _pinned(agent: BetaManagedAgentsAgent | None, skill_digest: str) -> tuple[str, str] | None:
    """The skill version an agent pins, if its runbooks are exactly these (by digest)."""
    if agent is None or agent.metadata.get("skill_sha256") != skill_digest:
        return None
    refs = [s for s in agent.skills if isinstance(s, BetaManagedAgentsCustomSkill) and s.version]
    return (refs[0].skill_id, refs[0].version) if len(refs) == 1 else None


async def _ensure_environment(client: AsyncAnthropic, name: str) -> str:
    async for env in client.beta.environments.list():
        if env.name == name and not getattr(env, "archived_at", None):
            return env.id
    created = await client.beta.environments.create(
        name=name,
        description="Sandbox for incident-bot investigations (no open internet)",
        config={"type": "cloud", "networking": {"type": "limited", "allowed_hosts": []}},
    )
    log.info("created environment %s (%s)", name, created.id)
    return created.id


async def provision(client: AsyncAnthropic, settings: Settings, *, providers: Providers | None = None) -> Provisioned:
    """Ensure skill, agent and environment exist as defined; a changed definition (tools, prompt, runbooks) makes a
    new agent version, changed runbooks a new skill version. `providers` default to what the settings configure."""
    own = providers is None
    providers = configured(settings) if providers is None else providers
    try:
        return await _provision(client, settings, providers)
    finally:
        if own:
            await providers.aclose()


async def _provision(client: AsyncAnthropic, settings: Settings, providers: Providers) -> Provisioned:
    files = skill_files(await read_runbooks(settings.runbooks_dir))
    skill_digest = _sha([(name, data.hex()) for name, data, _ in files])
    environment_id = await _ensure_environment(client, settings.environment_name)
    existing = None
    async for agent in client.beta.agents.list():
        if agent.name == settings.agent_name and not agent.archived_at:
            existing = agent
            break
    skill_id, skill_version = await _skill_version(client, files, _pinned(existing, skill_digest))
    tools = agent_tools(settings.confirm_tools, data_tools=providers.data_tools, sources=providers.tool_definitions())
    definition = {
        "name": settings.agent_name,
        "model": settings.model,
        "system": system_prompt(providers.tool_names),
        "tools": tools,
        "skills": [{"type": "custom", "skill_id": skill_id, "version": skill_version}],
    }
    metadata = {"incident_bot": "1", "definition_sha256": _sha(definition), "skill_sha256": skill_digest}
    if existing is None:
        created = await client.beta.agents.create(description="On-call first responder", metadata=metadata, **definition)
        log.info("created agent %s (%s v%s)", settings.agent_name, created.id, created.version)
        return Provisioned(created.id, created.version, environment_id, skill_id)
    if existing.metadata.get("definition_sha256") == metadata["definition_sha256"]:
        return Provisioned(existing.id, existing.version, environment_id, skill_id)
    updated = await client.beta.agents.update(existing.id, version=existing.version, metadata=metadata, **definition)
    log.info("agent definition changed: %s is now version %s", updated.id, updated.version)
    return Provisioned(updated.id, updated.version, environment_id, skill_id)


async def upload_evidence(
    client: AsyncAnthropic, evidence: Evidence, *, known: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """Upload each evidence file once (reused by content hash) and return the session's file resources.

    `known` (file name -> id) is a cache the caller keeps between incidents; when empty it is filled from the
    Files API, so a restarted bot reuses what it uploaded before.
    """
    existing = known if known is not None else {}
    if not existing:
        async for meta in client.beta.files.list(limit=1000):  # every page, not the first
            if meta.scope is None:  # a session's copy of an upload is that session's, never reused
                existing.setdefault(meta.filename, meta.id)
    resources = []
    for rel, path in sorted(evidence.files.items()):
        data = await asyncio.to_thread(path.read_bytes)
        name = f"{hashlib.sha256(data).hexdigest()[:24]}-{rel.replace('/', '__')}"
        file_id = existing.get(name)
        if file_id is None:
            uploaded = await client.beta.files.upload(file=(name, data, "text/plain"))
            file_id = existing[name] = uploaded.id
        resources.append({"type": "file", "file_id": file_id, "mount_path": evidence.mount_path(rel)})
    return resources


async def teardown(client: AsyncAnthropic, settings: Settings) -> list[str]:
    """Archive the bot's agent and environment (sessions and files stay for the record); returns what was archived."""
    done = []
    async for agent in client.beta.agents.list():
        if agent.name == settings.agent_name and not agent.archived_at:
            await client.beta.agents.archive(agent.id)
            done.append(f"agent {agent.id}")
    async for env in client.beta.environments.list():
        if env.name == settings.environment_name and not getattr(env, "archived_at", None):
            await client.beta.environments.archive(env.id)
            done.append(f"environment {env.id}")
    return done
