"""get_recent_deploys and get_diff answered from GitHub, in place of the incident data folder's deploys and diffs."""

from __future__ import annotations

from bot.run.state import IncidentState, ToolCall
from bot.sources.base import SourceError
from bot.sources.bounded import compact
from bot.sources.github import GitHubSource
from bot.tools.base import ToolAnswer, ToolContext, ToolHandler, ok
from bot.words import ToolName

__all__ = ["github_data_tools"]


def github_data_tools(github: GitHubSource) -> dict[str, ToolHandler]:
    """Handlers for the deploy and diff tools that read the repository on GitHub."""

    async def get_recent_deploys(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
        """The repository's newest deployments (or, with none, its newest commits)."""
        try:
            return ok(await github.recent_deploys())
        except SourceError as exc:
            return ToolAnswer(compact(exc.as_dict()), is_error=True)

    async def get_diff(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
        """One commit's diff, bounded."""
        try:
            return ok(await github.diff(call.input.get("commit")))
        except SourceError as exc:
            return ToolAnswer(compact(exc.as_dict()), is_error=True)

    return {ToolName.GET_RECENT_DEPLOYS: get_recent_deploys, ToolName.GET_DIFF: get_diff}
