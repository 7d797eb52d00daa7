"""What every new session is made from, prepared once per process: the agent, the evidence and its uploads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from anthropic import AsyncAnthropic

from bot.agents.evidence import Evidence, load_evidence
from bot.agents.provision import Provisioned, provision, upload_evidence
from bot.agents.repository import evidence_to_upload, repository_resources
from bot.settings import Settings

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
    """The provisioned agent, the incident data and the session's file resources, each made once and reused."""

    def __init__(self, anthropic: AsyncAnthropic, settings: Settings) -> None:
        self._anthropic = anthropic
        self._settings = settings
        self._agent = Once(lambda: provision(anthropic, settings))
        self._evidence = Once(lambda: load_evidence(settings.incident_data, work_dir=settings.work_dir))
        self._files = Once(self._upload)

    async def agent(self) -> Provisioned:
        """The agent, environment and skill, provisioned once per process."""
        return await self._agent.get()

    async def evidence(self) -> Evidence:
        """The incident data folder, read once per process."""
        return await self._evidence.get()

    async def files(self) -> list[Any]:
        """The evidence as the session's file resources: uploaded once (reused by content hash), listed once; and the
        repository, cloned by the platform, when GitHub is configured."""
        return [*await self._files.get(), *repository_resources(self._settings)]

    async def _upload(self) -> list[dict[str, str]]:
        return await upload_evidence(self._anthropic, evidence_to_upload(await self.evidence(), self._settings))
