"""Pytest fixtures for the real servers; import them into a conftest.py (`from tests.support.fixtures import *`).

A missing binary skips the test, unless REQUIRE_PROMETHEUS=1 / REQUIRE_ALERTMANAGER=1 / REQUIRE_REDIS=1 (as in CI),
in which case it fails.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.exporter import Exporter
from tests.support.servers import (AlertmanagerServer, MissingBinary, PrometheusServer, RedisServer, ServerProcess,
                                   find_binary, start_alertmanager, start_prometheus, start_redis)  # fmt: skip

__all__ = ["Servers", "alertmanager", "exporter", "prometheus", "redis_server", "require", "servers"]

S = TypeVar("S", bound=ServerProcess)
REQUIRED_BY = {"prometheus": "REQUIRE_PROMETHEUS", "prometheus-alertmanager": "REQUIRE_ALERTMANAGER",
               "redis-server": "REQUIRE_REDIS"}  # fmt: skip


def require(binary: str) -> None:
    """Skip the test when `binary` is missing, or fail it when its REQUIRE_* variable is 1."""
    try:
        find_binary(binary)
    except MissingBinary as exc:
        variable = REQUIRED_BY[binary]
        if os.environ.get(variable) == "1":
            pytest.fail(f"{variable}=1 but {exc}")
        pytest.skip(str(exc))


class Servers:
    """Starts real servers in the test's temporary folder and stops every one of them at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[ServerProcess] = []

    async def prometheus(self, **options: Any) -> PrometheusServer:
        """start_prometheus(...) in <tmp>/prometheus-N."""
        require("prometheus")
        return self._keep(await start_prometheus(self._next("prometheus"), **options))

    async def alertmanager(self, **options: Any) -> AlertmanagerServer:
        """start_alertmanager(...) in <tmp>/alertmanager-N."""
        require("prometheus-alertmanager")
        return self._keep(await start_alertmanager(self._next("alertmanager"), **options))

    async def redis(self, **options: Any) -> RedisServer:
        """start_redis(...) in <tmp>/redis-N."""
        require("redis-server")
        return self._keep(await start_redis(self._next("redis"), **options))

    async def stop_all(self) -> None:
        """Stop every server started here, newest first."""
        for server in reversed(self.started):
            await server.stop()

    def _next(self, name: str) -> Path:
        return self.folder / f"{name}-{sum(s.name == name for s in self.started)}"

    def _keep(self, server: S) -> S:
        self.started.append(server)
        return server


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Servers]:
    """Start real servers on demand; all are stopped after the test."""
    pool = Servers(tmp_path / "servers")
    try:
        yield pool
    finally:
        await pool.stop_all()


@pytest.fixture
async def exporter() -> AsyncIterator[Exporter]:
    """A started exporter with an empty registry; add gauges with exporter.gauge(...)."""
    server = Exporter()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def prometheus(servers: Servers, exporter: Exporter) -> PrometheusServer:
    """A real Prometheus scraping `exporter` every second."""
    return await servers.prometheus(targets=[exporter.target])


@pytest.fixture
async def alertmanager(servers: Servers) -> AlertmanagerServer:
    """A real Alertmanager alone, with a receiver that sends nothing."""
    return await servers.alertmanager()


@pytest.fixture
async def redis_server(servers: Servers) -> RedisServer:
    """A real redis-server without persistence."""
    return await servers.redis()
