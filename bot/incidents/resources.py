"""What every new session is made from, prepared once per process: the agent, the evidence and its uploads, and the
configured providers and spend ceiling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from anthropic import AsyncAnthropic

from bot.agents.evidence import Evidence, load_evidence
from bot.agents.provision import Provisioned, provision, upload_evidence
from bot.agents.repository import evidence_to_upload, repository_resources
from bot.settings import Settings
from bot.sources.registry import Providers, configured

__all__ = ["Once", "SessionResources"]

T = TypeVar("T")


class Once(Generic[T]):
    """A value made by an async call the first time it is asked for; a failed attempt is tried again next time."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._value: T | None = None
        self._made = False
        self._lock = asyncio.Lock()

    async def get(self) -> T:
        async with self._lock:
            if not self._made:
                self._value, self._made = await self._make(), True
            return self._value  # type: ignore[return-value]


class SessionResources:
    """The provisioned agent, the incident data and the session's file resources, each made once and reused; the
    configured providers (their owner closes them) and the sessions' budget."""

    def __init__(self, anthropic: AsyncAnthropic, settings: Settings, *, providers: Providers | None = None) -> None:
        self._anthropic = anthropic
        self._settings = settings
        self.providers = providers if providers is not None else configured(settings)
        self._agent = Once(lambda: provision(anthropic, settings, providers=self.providers))
        self._evidence = Once(lambda: _evidence(settings))
        self._files = Once(self._upload)
        self._budget_cents = int(settings.session_budget_usd * 100)

    async def agent(self) -> Provisioned:
        """The agent, environment and skill, provisioned once per process."""
        return await self._agent.get()

    async def evidence(self) -> Evidence | None:
        """The incident data folder, read once per process; None without INCIDENT_DATA (nothing canned)."""
        return await self._evidence.get()

    async def files(self) -> list[Any]:
        """The evidence as the session's file resources: uploaded once (reused by content hash), listed once; and the
        repository, cloned by the platform, when GitHub is configured."""
        return [*await self._files.get(), *repository_resources(self._settings)]

    def budget(self) -> dict[str, Any] | None:
        """sessions.create's `budget`: SESSION_BUDGET_USD as a hard ceiling at list price; None for no ceiling."""
        if self._budget_cents <= 0:
            return None
        return {"type": "limit", "max_list_cost": {"amount": str(self._budget_cents), "currency": "USD"}}

    async def _upload(self) -> list[dict[str, str]]:
        evidence = await self.evidence()
        if evidence is None:
            return []
        return await upload_evidence(self._anthropic, evidence_to_upload(evidence, self._settings))


async def _evidence(settings: Settings) -> Evidence | None:
    if settings.incident_data is None:
        return None
    return await load_evidence(settings.incident_data, work_dir=settings.work_dir)
