"""SlackStandin: one aiohttp server on loopback (Web API + Socket Mode) and its Python control surface."""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from aiohttp import web

from standins.loopback import serve_on_loopback
from standins.waiting import ChangeWaiter

from . import chat, conversations, files, members, payloads, views  # noqa: F401  (registers Web API methods)
from .control import Controls
from .responses import respond
from .socket_mode import EnvelopeAck, SocketHub
from .store import Workspace
from .views import ViewStore
from .web import WebUI
from .webapi import DEFAULT_SCOPES, ApiCall, Failure, WebApi

__all__ = ["SlackStandin"]


def _members(users: Mapping[str, Mapping[str, Any]] | Iterable[str]) -> dict[str, dict[str, Any]]:
    if isinstance(users, Mapping):
        return {uid: dict(info) for uid, info in users.items()}
    return {uid: {"name": uid.lower(), "real_name": uid} for uid in users}


def _channels(channels: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(channels, Mapping):
        return dict(channels)
    return {cid: cid.lower() for cid in channels}


class SlackStandin(Controls):
    """A local Slack workspace for the real slack_sdk / slack_bolt clients: Web API and Socket Mode."""

    def __init__(self, users: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
                 usergroups: Mapping[str, Iterable[str]] | None = None, *,
                 channels: Mapping[str, str] | Iterable[str] = (), bot_user_id: str = "U0BOT",
                 bot_id: str = "B0BOT", team_id: str = "T0TEAM", app_id: str = "A0APP",
                 bot_token: str | None = None, app_token: str | None = None,
                 echo_bot_messages: bool = True, port: int = 0, bot_channels: Iterable[str] | None = None,
                 chat_write_public: bool = False, scopes: Iterable[str] | None = None) -> None:
        self.workspace = Workspace(users=_members(users),
                                   usergroups={g: list(m) for g, m in (usergroups or {}).items()},
                                   channels=_channels(channels), team_id=team_id, bot_user_id=bot_user_id,
                                   bot_id=bot_id, app_id=app_id, bot_channels=bot_channels)
        # bot_channels: the channels the bot was invited to (None: all of `channels`). chat_write_public: the app
        # has that scope, so chat.postMessage reaches public channels it is not in (files and history still don't).
        self.chat_write_public = chat_write_public
        self.bot_token = bot_token  # None: any xoxb- token is the bot's
        self.app_token = app_token  # None: any xapp- token is the app's
        self.echo_bot_messages = echo_bot_messages
        self.scopes = tuple(scopes) if scopes is not None else DEFAULT_SCOPES  # the bot token's, as x-oauth-scopes
        self.calls: list[ApiCall] = []
        self.views = ViewStore()
        self.response_urls: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self.base_url = ""
        self.api_url = ""
        self.ws_url = ""
        self.ui_url = ""  # the workspace as a web page, for people (see standins/slack/web/)
        self.port = port  # 0: a free port
        self.ui = WebUI(self)
        self.hub = SocketHub(app_id=app_id, on_change=self.changed)
        self.web = WebApi(self)
        self._runner: web.AppRunner | None = None
        self._waiter = ChangeWaiter(self, self._state_lines)
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> str:
        """Listen on 127.0.0.1 (a free port); returns the Web API base URL for AsyncWebClient(base_url=...)."""
        self._waiter.start()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self.web.handle)
        app.router.add_get("/link", self.hub.handle)
        app.router.add_get("/link/", self.hub.handle)
        app.router.add_post("/upload/v1/{file_id}", functools.partial(files.upload, self))
        app.router.add_get("/files/{file_id}/{tail:.*}", functools.partial(files.serve_file, self))
        app.router.add_post("/response/{team}/{token}", functools.partial(respond, self))
        self.ui.register(app)
        self._runner, port = await serve_on_loopback(app, self.port)
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.base_url}/api/"
        self.ws_url = f"ws://127.0.0.1:{port}/link"
        self.ui_url = f"{self.base_url}/ui/"
        return self.api_url

    async def stop(self) -> None:
        """Give up on pending deliveries, close the sockets and stop listening."""
        for task in list(self._tasks):
            task.cancel()
        await self.hub.close()
        await self.ui.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._waiter.stop()

    # -- reading the workspace -------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one Web API method, in arrival order."""
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """A channel's top-level messages, oldest first, with updates applied (copies, metadata included)."""
        ws = self.workspace
        return copy.deepcopy(ws.top_level(ws.channel(channel)))

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's root and replies in order (copies); [] for an unknown ts."""
        ws = self.workspace
        return copy.deepcopy(ws.thread(ws.channel(channel), ts))

    def ephemerals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """chat.postEphemeral messages, optionally only those shown to one member."""
        return [copy.deepcopy(e) for e in self.workspace.ephemerals if user_id is None or e["user"] == user_id]

    def file_contents(self) -> dict[str, bytes]:
        """Every file's uploaded bytes by file id (b"" until its upload arrives)."""
        return {f.id: f.content or b"" for f in self.workspace.files.values()}

    @property
    def live_connections(self) -> int:
        """How many Socket Mode clients envelopes may go to now."""
        return sum(c.live for c in self.hub.connections)

    def set_profile(self, user_id: str, **fields: Any) -> None:
        """A member edits their profile (e.g. title): users.info and the web page show it."""
        self.workspace.user(user_id).update(fields)
        self.changed()

    @property
    def envelope_acks(self) -> list[EnvelopeAck]:
        """(envelope_id, type, sent_at, acked_at) for every envelope sent, in order."""
        return self.hub.acks

    @property
    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope sent to the app, as sent."""
        return self.hub.envelopes

    @property
    def failures(self) -> list[Failure]:
        """Failures injected with fail_next()."""
        return self.web.failures

    # -- changes and waiting ---------------------------------------------------------------------
    def changed(self) -> None:
        """Wake wait_for() callers and the web page's live view (each coalesced)."""
        self._waiter.changed()
        self.ui.changed()

    async def wait_for(self, predicate: Callable[[SlackStandin], Any], timeout: float = 10.0) -> None:
        """Wait until predicate(slack) is true, re-checked on every change; TimeoutError says what was seen."""
        await self._waiter.wait_for(predicate, timeout)

    def _state_lines(self) -> list[str]:
        lines = [f"  #{c.name} ({c.id}): {len(c.messages)} message(s)" + (" private" if c.private else "")
                 + (" archived" if c.archived else "") + ("" if self.workspace.bot_is_member(c) else " without the bot")
                 for c in self.workspace.channels.values()]  # fmt: skip
        lines.append(f"  socket mode: {self.live_connections} live connection(s), "
                     f"{len(self.hub.acks)} envelope(s) sent")
        for call in self.calls[-6:]:
            error = call.response.get("error") if isinstance(call.response, dict) else None
            lines.append(f"  call {call.method} -> {call.status}" + (f" {error}" if error else ""))
        return lines

    # -- plumbing used by the methods ------------------------------------------------------------
    def posted(self, channel_id: str, msg: dict[str, Any]) -> None:
        """A message the bot posted: wake waiters and, like Slack, echo it back as a message event (in a channel
        the bot is in: an app hears only those)."""
        self.changed()
        if self.echo_bot_messages and self.workspace.bot_is_member(self.workspace.channel(channel_id)):
            event = payloads.message_event(self.workspace, channel_id, msg)
            self.spawn(self._echo(payloads.event_callback(self.workspace, event)))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a background delivery that stop() cancels."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
