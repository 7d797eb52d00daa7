"""Fixtures for the bot's unit tests that talk to the stand-ins (tests/support/standins.py)."""

from tests.support.standins import agents, brain, client  # noqa: F401  (fixtures)
