"""The team's repository as a session resource: with GitHub configured, the platform clones it into the sandbox
(default branch, default mount /workspace/<name>) and the incident data folder's repo/ copy is not uploaded."""

from __future__ import annotations

from dataclasses import replace

from anthropic.types.beta import BetaManagedAgentsGitHubRepositoryResourceParams

from bot.agents.evidence import Evidence
from bot.agents.mounts import repository_path
from bot.github_api import github_configured
from bot.settings import Settings

__all__ = ["REPO_FOLDER", "evidence_to_upload", "repository_resources"]

REPO_FOLDER = "repo/"  # where an incident data folder keeps its copy of the repository


def repository_resources(settings: Settings) -> list[BetaManagedAgentsGitHubRepositoryResourceParams]:
    """GITHUB_REPO as a github_repository resource (cloned with GITHUB_TOKEN), or none without GitHub.

    Its mount path is asked for explicitly (bot/agents/mounts.py), so the first message can say it; the opener checks
    it against the created session's."""
    if not github_configured(settings):
        return []
    # The API takes github.com URLs only (https://github.com/<owner>/<repo>, no .git suffix).
    return [{"type": "github_repository", "url": f"https://github.com/{settings.github_repo}",
             "authorization_token": settings.github_token,
             "mount_path": repository_path(settings.github_repo)}]  # fmt: skip


def evidence_to_upload(evidence: Evidence, settings: Settings) -> Evidence:
    """The evidence less its repo/ files when the session clones the real repository instead."""
    if not github_configured(settings):
        return evidence
    return replace(evidence, files={rel: p for rel, p in evidence.files.items() if not rel.startswith(REPO_FOLDER)})
