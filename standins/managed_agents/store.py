"""The stand-in's stored resources: agents (all versions), environments, files and skills."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .errors import not_found

__all__ = ["Registry", "StoredFile", "StoredSkill"]


@dataclass
class StoredFile:
    """An uploaded file: its metadata (wire shape) and content."""

    meta: dict[str, Any]
    content: bytes
    seq: int


@dataclass
class StoredSkill:
    """A custom skill (wire shape), its versions (wire shapes) and each version's files by path."""

    skill: dict[str, Any]
    versions: list[dict[str, Any]]
    files: dict[str, dict[str, bytes]]
    seq: int


@dataclass
class Registry:
    """Everything but sessions; `seq` orders records for pagination."""

    clock: Clock = field(default_factory=Clock)
    agents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    skills: dict[str, StoredSkill] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=itertools.count)

    def next_seq(self, record_id: str) -> int:
        """Allocate (and remember) the creation order of a record."""
        self.seqs[record_id] = seq = next(self._counter)
        return seq

    def agent(self, agent_id: str, version: int | None = None) -> dict[str, Any]:
        """An agent's latest (or given) version; 404 if missing."""
        versions = self.agents.get(agent_id)
        if not versions:
            raise not_found(f"agent {agent_id!r} not found")
        if version is None:
            return versions[-1]
        if not 1 <= version <= len(versions):
            raise not_found(f"agent {agent_id!r} has no version {version}")
        return versions[version - 1]

    def environment(self, env_id: str) -> dict[str, Any]:
        """An environment; 404 if missing."""
        env = self.environments.get(env_id)
        if env is None:
            raise not_found(f"environment {env_id!r} not found")
        return env

    def file(self, file_id: str) -> StoredFile:
        """An uploaded file; 404 if missing."""
        stored = self.files.get(file_id)
        if stored is None:
            raise not_found(f"file {file_id!r} not found")
        return stored

    def skill(self, skill_id: str) -> StoredSkill:
        """A skill; 404 if missing."""
        stored = self.skills.get(skill_id)
        if stored is None:
            raise not_found(f"skill {skill_id!r} not found")
        return stored

    def latest_skill_versions(self) -> dict[str, str]:
        """skill id -> latest version id, for resolving agent skill references."""
        return {sid: s.skill["latest_version_id"] for sid, s in self.skills.items()}
