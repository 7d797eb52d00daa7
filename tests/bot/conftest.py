"""Fixtures for the bot's unit tests that talk to the Managed Agents stand-in."""

from tests.support.managed_agents import agents, brain, client  # noqa: F401  (fixtures)
