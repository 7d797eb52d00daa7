"""The custom tools the bot answers itself: incident data, the team's evidence sources, and pull requests behind the
human gate."""

from __future__ import annotations

from collections.abc import Mapping

from bot.agents.evidence import Evidence
from bot.prs.base import PullRequestStore
from bot.run.state import IncidentState, ToolCall
from bot.sources.github import GitHubSource
from bot.sources.registry import Providers
from bot.tools.base import ToolAnswer, ToolHandler, error
from bot.tools.data import DATA_TOOLS
from bot.tools.deploys import github_data_tools
from bot.tools.pull_requests import PR_TOOLS
from bot.tools.queries import QUERY_TOOLS

__all__ = ["IncidentTools", "TOOLS", "tool_handlers"]

# Every custom tool the bot answers, by name; a new tool is one more entry (or one more mapping passed in).
TOOLS: Mapping[str, ToolHandler] = {**DATA_TOOLS, **PR_TOOLS, **QUERY_TOOLS}


def tool_handlers(*, github: GitHubSource | None = None) -> Mapping[str, ToolHandler]:
    """TOOLS with the configured providers' handlers in place of the incident data's (deploys and diffs: GitHub)."""
    return {**TOOLS, **(github_data_tools(github) if github is not None else {})}


class IncidentTools:
    """Answers one incident's custom tool calls. request_approval is answered by a person, not here."""

    def __init__(
        self, *, evidence: Evidence | None, prs: PullRequestStore, session_id: str, providers: Providers | None = None,
        handlers: Mapping[str, ToolHandler] = TOOLS,
    ) -> None:
        self.evidence = evidence
        self.prs = prs
        self.session_id = session_id
        self.providers = providers if providers is not None else Providers()
        self._handlers = handlers

    async def answer(self, call: ToolCall, state: IncidentState) -> ToolAnswer | None:
        """The result for a custom tool call, or None when a human must answer it (request_approval)."""
        if call.unreadable:
            return error(f"the bot could not read this {call.name} call (its input is not plain JSON or is nested "
                         f"too deep); call {call.name} again with simple values")  # fmt: skip
        handler = self._handlers.get(call.name)
        if handler is None:
            return error(f"unknown tool {call.name!r}")
        return await handler(self, call, state)
