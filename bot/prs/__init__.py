"""The PR stores behind one protocol (base.PullRequestStore), and the choice of store from the settings."""

from __future__ import annotations

from bot.prs.base import PullRequestStore
from bot.prs.github import GitHubPullRequests
from bot.prs.local import LocalPullRequests
from bot.settings import Settings

__all__ = ["pull_request_store"]


def pull_request_store(settings: Settings) -> PullRequestStore:
    """GitHub when GITHUB_TOKEN and GITHUB_REPO are set, else a local git repository per incident."""
    if settings.github_token and settings.github_repo:
        return GitHubPullRequests(token=settings.github_token, repo=settings.github_repo, api_url=settings.github_api_url)
    return LocalPullRequests(settings.work_dir / "repos")
