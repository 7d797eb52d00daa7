"""Readiness: named checks, each answering whether this replica can do its part now, and why not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Check", "CheckResult", "Readiness"]

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds; a probe must answer before the kubelet's timeoutSeconds


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's answer: ok or not, and a few words a person can act on."""

    ok: bool
    detail: str = ""


Check = Callable[[], Awaitable[CheckResult]]


class Readiness:
    """Checks registered by name (Slack, Managed Agents, provisioning; Redis when replicas share it); ready when
    every one passes. Each check runs at most once at a time: concurrent probes share its answer."""

    def __init__(self, *, timeout: float = CHECK_TIMEOUT) -> None:
        self._checks: dict[str, Check] = {}
        self._running: dict[str, asyncio.Task[CheckResult]] = {}
        self._timeout = timeout

    def add(self, name: str, check: Check) -> None:
        """Register a check under a name (a second one with the same name is a bug)."""
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already registered")
        self._checks[name] = check

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._checks)

    async def run(self) -> dict[str, CheckResult]:
        """Every check's answer, run concurrently, each within the timeout."""
        results = await asyncio.gather(*(self._one(name) for name in self._checks))
        return dict(zip(self._checks, results))

    async def _one(self, name: str) -> CheckResult:
        task = self._running.get(name)
        if task is None:
            task = self._running[name] = asyncio.create_task(self._bounded(name), name=f"ready:{name}")
            task.add_done_callback(lambda _: self._running.pop(name, None))
        return await asyncio.shield(task)

    async def _bounded(self, name: str) -> CheckResult:
        try:
            return await asyncio.wait_for(self._checks[name](), self._timeout)
        except TimeoutError:
            return CheckResult(False, f"no answer within {self._timeout:g} s")
        except Exception as exc:  # a broken check says not ready, and why
            log.warning("readiness check %s failed", name, exc_info=True)
            return CheckResult(False, f"{type(exc).__name__}: {exc}"[:200])
