"""Which providers the settings configure: the evidence sources (by the tool each answers) and the data tools.

The bot builds one `Providers` at start, hands it to provisioning (the agent's tool list), the tool dispatch and
the first message, and closes it on stop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from bot.settings import Settings
from bot.sources.base import EvidenceSource
from bot.sources.github import GitHubSource, github_source
from bot.sources.loki import LokiSource
from bot.sources.prometheus import PrometheusSource
from bot.words import ToolName

__all__ = ["DATA_TOOLS", "Providers", "configured"]

DATA_TOOLS = (ToolName.GET_METRICS, ToolName.GET_RECENT_DEPLOYS, ToolName.GET_DIFF)
_SETTING = {ToolName.QUERY_PROMETHEUS: "PROMETHEUS_URL", ToolName.QUERY_LOGS: "LOKI_URL"}


class Providers:
    """The configured evidence sources by tool name, the repository on GitHub, and the data tools offered (answered
    from the incident data, or deploys and diffs from GitHub)."""

    def __init__(self, sources: Iterable[EvidenceSource] = (), *, data_tools: Iterable[str] = (),
                 github: GitHubSource | None = None) -> None:  # fmt: skip
        self._sources: Mapping[str, EvidenceSource] = MappingProxyType({s.tool_name: s for s in sources})
        self.data_tools: tuple[str, ...] = tuple(data_tools)
        self.github = github

    @property
    def sources(self) -> tuple[EvidenceSource, ...]:
        """The configured evidence sources, in a stable order."""
        return tuple(self._sources.values())

    @property
    def tool_names(self) -> tuple[str, ...]:
        """Every custom tool these providers answer (besides the pull request tools, which are always there)."""
        return (*self.data_tools, *self._sources)

    def source(self, tool_name: str) -> EvidenceSource | None:
        """The source that answers this tool, if it is configured."""
        return self._sources.get(tool_name)

    def tool_definitions(self) -> list[dict[str, Any]]:
        """The custom tool definitions of the configured sources, as the agent gets them."""
        return [s.tool for s in self._sources.values()]

    @staticmethod
    def missing_setting(tool_name: str) -> str:
        """The setting that turns a source's tool on ("" for a tool no setting controls)."""
        return _SETTING.get(tool_name, "")

    async def aclose(self) -> None:
        """Close every source's HTTP session."""
        for source in self._sources.values():
            await source.aclose()
        if self.github is not None:
            await self.github.aclose()


def configured(settings: Settings) -> Providers:
    """The providers these settings turn on: Prometheus with PROMETHEUS_URL, Loki with LOKI_URL, deploys and diffs
    from GitHub with GITHUB_TOKEN and GITHUB_REPO, and the data tools with INCIDENT_DATA (canned evidence: the demo
    and the tests)."""
    sources: list[EvidenceSource] = []
    if settings.prometheus_url:
        sources.append(PrometheusSource(settings.prometheus_url, token=settings.prometheus_token or None))
    if settings.loki_url:
        sources.append(LokiSource(settings.loki_url, token=settings.loki_token or None))
    github = github_source(settings)
    canned = DATA_TOOLS if settings.incident_data is not None else ()
    from_github = (ToolName.GET_RECENT_DEPLOYS, ToolName.GET_DIFF) if github is not None else ()
    data_tools = [t for t in DATA_TOOLS if t in canned or t in from_github]
    return Providers(sources, data_tools=data_tools, github=github)
