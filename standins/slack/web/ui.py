"""WebUI: the Slack stand-in's workspace as a web page for people, driving the app only through the control surface."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import routes
from .live import LiveHub
from .snapshot import Watch, snapshot

if TYPE_CHECKING:
    from ..server import SlackStandin

__all__ = ["DemoAction", "WebUI"]

log = logging.getLogger(__name__)

MAX_NOTES = 200


@dataclass(frozen=True)
class DemoAction:
    """A button the page shows (e.g. "Fire a PagerDuty alert"); `run` is the registrant's callback."""

    key: str
    label: str
    run: Callable[[], Awaitable[Any]]
    group: str = "Demo"


class WebUI:
    """The page's routes, its live view, Slack's own replies to a member, and the demo actions shown as buttons."""

    def __init__(self, slack: SlackStandin) -> None:
        self.slack = slack
        self.actions: dict[str, DemoAction] = {}
        self.notes: list[dict[str, Any]] = []  # what Slack itself shows one member, e.g. a slash command's reply
        self.live = LiveHub(self.snapshot)

    def add_action(self, key: str, label: str, run: Callable[[], Awaitable[Any]], *, group: str = "Demo") -> None:
        """Show a button on the page that runs `run()` in the background when someone clicks it."""
        self.actions[key] = DemoAction(key, label, run, group)
        self.slack.changed()

    def run_action(self, key: str) -> None:
        """Start a demo action (KeyError for an unknown key); its failure is logged, not raised."""
        action = self.actions[key]

        async def run() -> None:
            try:
                await action.run()
            except Exception:
                log.exception("demo action %s failed", key)

        self.slack.spawn(run())

    def note(self, user: str, channel: str, text: str, *, thread_ts: str | None = None) -> None:
        """Show a member a message from Slack itself ("Only visible to you"), like a slash command's reply."""
        self.notes.append({"user": user, "channel": channel, "text": text, "blocks": None, "attachments": None,
                           "thread_ts": thread_ts, "message_ts": self.slack.workspace.next_ts(), "from_slack": True})
        del self.notes[:-MAX_NOTES]
        self.slack.changed()

    def snapshot(self, watch: Watch) -> dict[str, Any]:
        """What a page watching `watch` shows."""
        return snapshot(self.slack, self, watch)

    def register(self, app: web.Application) -> None:
        """Add the page's routes to the stand-in's aiohttp application."""
        routes.add_routes(app, self)

    def changed(self) -> None:
        """The workspace changed: update the pages (coalesced)."""
        self.live.changed()

    async def close(self) -> None:
        """Close the pages' live connections."""
        await self.live.close()
