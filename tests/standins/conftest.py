"""The stand-in tests' fixtures (tests/support/standins.py); `server` is the Managed Agents stand-in here."""

from __future__ import annotations

import pytest

from standins.managed_agents import ManagedAgentsStandin
from tests.support.standins import agents, brain, client, slack  # noqa: F401  (fixtures)


@pytest.fixture
def server(agents: ManagedAgentsStandin) -> ManagedAgentsStandin:  # noqa: F811
    return agents
