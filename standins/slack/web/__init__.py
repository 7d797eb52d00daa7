"""The Slack stand-in as a web page: plain HTML, CSS and JavaScript served by the stand-in's own aiohttp server."""

from __future__ import annotations

from .snapshot import Watch
from .ui import DemoAction, WebUI

__all__ = ["DemoAction", "Watch", "WebUI"]
