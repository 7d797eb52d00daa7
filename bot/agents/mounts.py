"""Where the session's resources are asked to be mounted: the one place that names those paths. The agent is told
the paths the session reports back, never these constants."""

from __future__ import annotations

__all__ = ["EVIDENCE_ROOT", "evidence_path", "repository_path"]

# Inside the folder the API mounts uploads in by default (/mnt/session/uploads/<file_id>), each file at its path in
# the incident data folder.
EVIDENCE_ROOT = "/mnt/session/uploads/incident"


def evidence_path(rel: str) -> str:
    """Where an evidence file (by its path in the incident data folder) is asked to be mounted."""
    return f"{EVIDENCE_ROOT}/{rel}"


def repository_path(repo: str) -> str:
    """Where a github_repository (owner/name) is asked to be cloned: the API's documented default, said explicitly."""
    return f"/workspace/{repo.rsplit('/', 1)[-1]}"
