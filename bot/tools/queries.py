"""The evidence source tools (query_prometheus, query_logs): the bot asks the team's server and answers bounded JSON."""

from __future__ import annotations

from bot.run.state import IncidentState, ToolCall
from bot.sources.base import SourceError
from bot.sources.bounded import compact
from bot.tools.base import ToolAnswer, ToolContext, ToolHandler, error
from bot.words import ToolName

__all__ = ["QUERY_TOOLS", "query_source"]


async def query_source(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """Run the call against the source that answers its tool; its own error message when it gives no evidence."""
    source = tools.providers.source(call.name)
    if source is None:
        setting = tools.providers.missing_setting(call.name)
        return error(f"{call.name} is not available to this incident: {setting or 'its source'} is not configured")
    try:
        return ToolAnswer(compact(await source.run_tool(dict(call.input))))
    except SourceError as exc:
        return ToolAnswer(compact(exc.as_dict()), is_error=True)


QUERY_TOOLS: dict[str, ToolHandler] = {
    ToolName.QUERY_PROMETHEUS: query_source,
    ToolName.QUERY_LOGS: query_source,
}
