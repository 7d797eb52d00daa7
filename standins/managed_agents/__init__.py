"""A local stand-in for the Claude Managed Agents API (REST + SSE), reached through the real `anthropic` SDK."""

from __future__ import annotations

from .context import AgentContext, ToolAnswer
from .server import ManagedAgentsStandin, RecordedRequest

__all__ = ["ManagedAgentsStandin", "RecordedRequest", "AgentContext", "ToolAnswer"]
