"""A local GitHub (the REST endpoints incident-bot's GitHubPullRequests uses) over a real git repository."""

from __future__ import annotations

from .server import GitHubStandin, RecordedRequest

__all__ = ["GitHubStandin", "RecordedRequest"]
