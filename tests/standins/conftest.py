"""The stand-in tests' fixtures: a started Slack workspace, and a started Managed Agents API with a client for it.

Every test starts with a clean environment (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest

from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain
from standins.slack import SlackStandin


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandin]:
    """Alice and Bob (group S0SRE), #oncall and #alerts, tokens xoxb-test / xapp-test."""
    server = SlackStandin(
        users={"U0ALICE": {"name": "alice", "real_name": "Alice"}, "U0BOB": {"name": "bob", "real_name": "Bob"}},
        usergroups={"S0SRE": ["U0ALICE", "U0BOB"]}, channels={"C0ONCALL": "oncall", "C0ALERTS": "alerts"},
        bot_user_id="U0BOT", bot_id="B0BOT", team_id="T0TEAM", bot_token="xoxb-test", app_token="xapp-test",
    )  # fmt: skip
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def brain() -> ScriptedBrain | None:
    """The agent behind the Managed Agents stand-in (a module may override it; None: the offline investigator)."""
    return ScriptedBrain()


@pytest.fixture
async def server(brain: ScriptedBrain | None) -> AsyncIterator[ManagedAgentsStandin]:
    """The Managed Agents stand-in, started."""
    srv = ManagedAgentsStandin(brain=brain)
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def client(server: ManagedAgentsStandin) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """The real AsyncAnthropic pointed at the stand-in (no retries: a test sees every answer)."""
    c = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="sk-test", max_retries=0)
    yield c
    await c.close()
