"""The stand-ins as pytest fixtures, in one place: a started Slack workspace, the Managed Agents stand-in with a
scripted agent, and the real AsyncAnthropic pointed at it. A conftest.py imports the fixtures it needs
(`from tests.support.standins import agents, brain, client, slack`); every test starts with a clean environment
(tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from bot.agents.definition import agent_tools
from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain
from standins.slack import SlackStandin

__all__ = ["agents", "brain", "client", "open_session", "slack", "standard_workspace"]


def standard_workspace(**overrides: Any) -> SlackStandin:
    """Alice and Bob (group S0SRE), #oncall and #alerts, tokens xoxb-test / xapp-test."""
    options: dict[str, Any] = {
        "users": {"U0ALICE": {"name": "alice", "real_name": "Alice"}, "U0BOB": {"name": "bob", "real_name": "Bob"}},
        "usergroups": {"S0SRE": ["U0ALICE", "U0BOB"]},
        "channels": {"C0ONCALL": "oncall", "C0ALERTS": "alerts"}, "bot_channels": ("C0ONCALL", "C0ALERTS"),
        "bot_user_id": "U0BOT", "bot_id": "B0BOT", "team_id": "T0TEAM",
        "bot_token": "xoxb-test", "app_token": "xapp-test",
    }  # fmt: skip
    return SlackStandin(**{**options, **overrides})


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandin]:
    """The standard workspace, started."""
    server = standard_workspace()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def brain() -> ScriptedBrain | None:
    """The agent behind the Managed Agents stand-in (a module may override it; None: the offline investigator)."""
    return ScriptedBrain()


@pytest.fixture
async def agents(brain: ScriptedBrain | None) -> AsyncIterator[ManagedAgentsStandin]:
    """The Managed Agents stand-in, started."""
    server = ManagedAgentsStandin(brain=brain)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(agents: ManagedAgentsStandin) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """The real AsyncAnthropic pointed at the stand-in (no retries: a test sees every answer)."""
    c = anthropic.AsyncAnthropic(base_url=agents.base_url, api_key="sk-test", max_retries=0)
    yield c
    await c.close()


async def open_session(client: anthropic.AsyncAnthropic) -> str:
    """A session of an agent with the bot's own tool list (the built-in toolset and the contract's custom tools)."""
    agent = await client.beta.agents.create(name="incident-bot", model="claude-opus-4-8", tools=agent_tools())
    env = await client.beta.environments.create(name="env")
    session = await client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    return session.id
