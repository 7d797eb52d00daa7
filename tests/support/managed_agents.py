"""Pytest fixtures for the Managed Agents stand-in driven through the real SDK: a scripted brain, the server and a
client that does not retry by itself (so a test sees what the bot's own code does about a failure). Import them into
a conftest.py (`from tests.support.managed_agents import *`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest

from bot.agents.definition import agent_tools
from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain

__all__ = ["agents", "brain", "client", "open_session"]


@pytest.fixture
def brain() -> ScriptedBrain:
    return ScriptedBrain()


@pytest.fixture
async def agents(brain: ScriptedBrain) -> AsyncIterator[ManagedAgentsStandin]:
    server = ManagedAgentsStandin(brain=brain)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(agents: ManagedAgentsStandin) -> AsyncIterator[anthropic.AsyncAnthropic]:
    c = anthropic.AsyncAnthropic(base_url=agents.base_url, api_key="sk-test", max_retries=0)
    yield c
    await c.close()


async def open_session(client: anthropic.AsyncAnthropic) -> str:
    """A session of an agent with the bot's own tool list (the built-in toolset and the contract's custom tools)."""
    agent = await client.beta.agents.create(name="incident-bot", model="claude-opus-4-8", tools=agent_tools())
    env = await client.beta.environments.create(name="env")
    session = await client.beta.sessions.create(agent=agent.id, environment_id=env.id)
    return session.id
