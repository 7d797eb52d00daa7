"""A local Slack workspace (Web API over HTTP, Socket Mode over WebSocket) for the real slack_sdk and slack_bolt."""

from __future__ import annotations

from .socket_mode import EnvelopeAck
from .server import SlackStandin
from .webapi import ApiCall

__all__ = ["ApiCall", "EnvelopeAck", "SlackStandin"]
