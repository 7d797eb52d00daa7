"""Fixtures shared by the stand-in tests: a clean environment and a started standard workspace."""

from __future__ import annotations

from typing import Any

import pytest

from standins.slack.testing import scrub_env, standard_workspace


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub_env(monkeypatch.setenv, monkeypatch.delenv)


@pytest.fixture
async def slack() -> Any:
    server = standard_workspace()
    await server.start()
    yield server
    await server.stop()
