"""Idempotent provisioning of the skill, the agent and the environment, and evidence upload (reuse by hash)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass

from anthropic import AsyncAnthropic

from bot.agents.definition import SKILL_NAME, SYSTEM_PROMPT, agent_tools, skill_files
from bot.agents.evidence import Evidence
from bot.settings import Settings

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


async def _ensure_skill(client: AsyncAnthropic) -> tuple[str, str]:
    files = skill_files()
    digest = _sha([(name, data.decode()) for name, data, _ in files])
    async for skill in client.beta.skills.list():
        if skill.display_name == SKILL_NAME:
            return skill.id, digest
    created = await client.beta.skills.create(display_name=SKILL_NAME, files=files)
    log.info("created skill %s (%s)", SKILL_NAME, created.id)
    return created.id, digest


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


async def provision(client: AsyncAnthropic, settings: Settings) -> Provisioned:
    """Ensure skill, agent and environment exist as defined; a changed definition makes a new agent version."""
    skill_id, skill_digest = await _ensure_skill(client)
    environment_id = await _ensure_environment(client, settings.environment_name)
    definition = {
        "name": settings.agent_name,
        "model": settings.model,
        "system": SYSTEM_PROMPT,
        "tools": agent_tools(settings.confirm_tools),
        "skills": [{"type": "custom", "skill_id": skill_id}],
    }
    metadata = {"incident_bot": "1", "definition_sha256": _sha(definition), "skill_sha256": skill_digest}
    existing = None
    async for agent in client.beta.agents.list():
        if agent.name == settings.agent_name and not agent.archived_at:
            existing = agent
            break
    if existing is None:
        created = await client.beta.agents.create(description="On-call first responder", metadata=metadata, **definition)
        log.info("created agent %s (%s v%s)", settings.agent_name, created.id, created.version)
        return Provisioned(created.id, created.version, environment_id, skill_id)
    if existing.metadata.get("definition_sha256") == metadata["definition_sha256"] and existing.metadata.get(
        "skill_sha256"
    ) == skill_digest:
        return Provisioned(existing.id, existing.version, environment_id, skill_id)
    if existing.metadata.get("skill_sha256") not in (None, skill_digest):
        await client.beta.skills.versions.create(skill_id, files=skill_files())
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
        async for meta in client.beta.files.list():
            existing[meta.filename] = meta.id
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
