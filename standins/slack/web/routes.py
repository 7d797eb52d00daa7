"""The page's HTTP endpoints: JSON reads, and a member's acts, each through the stand-in's control surface.

A click on the page is `SlackStandin.click()`, a submitted modal `submit_view()`: real Socket Mode envelopes to
the real app, never a shortcut into it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..api import SlackError
from .snapshot import Watch, workspace_info

if TYPE_CHECKING:
    from .ui import WebUI

__all__ = ["STATIC", "add_routes"]

STATIC = Path(__file__).parent / "static"
_NO_CACHE = {"Cache-Control": "no-cache"}

Handler = Callable[["WebUI", web.Request], Awaitable[Any]]


class BadRequest(Exception):
    """A request the page should never send."""


def _endpoint(fn: Handler) -> Callable[[WebUI, web.Request], Awaitable[web.Response]]:
    """Answer JSON: the handler's dict, or {"ok": false, "error": ...} with a status saying whose fault it was."""

    @functools.wraps(fn)
    async def handle(ui: WebUI, request: web.Request) -> web.Response:
        try:
            return web.json_response({"ok": True, **(await fn(ui, request) or {})}, dumps=_dumps)
        except SlackError as err:
            return web.json_response(err.body(), status=400)
        except (LookupError, BadRequest) as err:
            status = 400 if isinstance(err, BadRequest) else 404
            return web.json_response({"ok": False, "error": str(err).strip("'\"")}, status=status)
        except TimeoutError as err:  # no app connected over Socket Mode
            return web.json_response({"ok": False, "error": f"no_app_connected: {err}"}, status=503)

    return handle


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)


async def _body(ui: WebUI, request: web.Request, *required: str) -> dict[str, Any]:
    """The JSON body, with its required strings present and its `user` a member who is not the bot."""
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    missing = [k for k in required if not isinstance(body.get(k), str) or not body[k]]
    if missing:
        raise BadRequest(f"missing {', '.join(missing)}")
    if ui.slack.workspace.user(body["user"]).get("is_bot"):
        raise BadRequest("the bot cannot act from the page")
    return body


@_endpoint
async def get_workspace(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Members, channels, the bot and the demo actions."""
    return workspace_info(ui.slack, ui)


@_endpoint
async def get_state(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """The snapshot a page shows (the same one the live socket pushes)."""
    q = request.query
    if not q.get("user") or not q.get("channel"):
        raise BadRequest("missing user or channel")
    return ui.snapshot(Watch(user=q["user"], channel=q["channel"], thread=q.get("thread") or None))


@_endpoint
async def post_command(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Run a slash command typed in the composer ("/incident checkout is down")."""
    body = await _body(ui, request, "user", "channel", "text")
    command, _, text = body["text"].strip().partition(" ")
    if not command.startswith("/") or len(command) < 2:
        raise BadRequest("a command starts with /")
    channel = ui.slack.workspace.channel(body["channel"]).id
    ack = await ui.slack.slash_command(body["user"], command, text.strip(), channel_id=channel)
    if ack is None:
        ui.note(body["user"], channel, f'{command} failed with the error "operation_timeout"')
    elif ack.get("text") and ack.get("response_type") != "in_channel":
        ui.note(body["user"], channel, str(ack["text"]))
    return {"ack": ack}


@_endpoint
async def post_message(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Post a message, or a thread reply with thread_ts."""
    body = await _body(ui, request, "user", "channel", "text")
    ts = await ui.slack.post_message(body["user"], body["channel"], body["text"], thread_ts=body.get("thread_ts") or None)
    return {"ts": ts}


@_endpoint
async def post_click(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Click a button of a stored message."""
    body = await _body(ui, request, "user", "channel", "ts", "action_id")
    ack = await ui.slack.click(body["user"], body["channel"], body["ts"], body["action_id"])
    if ack is None:
        msg = ui.slack.workspace.channel(body["channel"]).messages.get(body["ts"]) or {}
        ui.note(body["user"], body["channel"], ":warning: The app did not answer this click in time.",
                thread_ts=msg.get("thread_ts"))
    return {"acked": ack is not None}


@_endpoint
async def post_submit(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Submit an open modal with {block_id: {action_id: state}} values."""
    body = await _body(ui, request, "user", "view_id")
    values = body.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise BadRequest("values must be {block_id: {action_id: state}}")
    return {"ack": await ui.slack.submit_view(body["user"], body["view_id"], values)}


@_endpoint
async def post_close(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Cancel an open modal."""
    body = await _body(ui, request, "user", "view_id")
    return {"ack": await ui.slack.close_view(body["user"], body["view_id"])}


@_endpoint
async def post_home(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Open the app's Home tab (the app publishes it in answer)."""
    body = await _body(ui, request, "user")
    return {"ack": await ui.slack.app_home_opened(body["user"])}


@_endpoint
async def post_action(ui: WebUI, request: web.Request) -> dict[str, Any]:
    """Start a demo action registered with WebUI.add_action()."""
    key = request.match_info["key"]
    if key not in ui.actions:
        raise LookupError(f"no demo action {key}")
    ui.run_action(key)
    return {"started": key}


async def get_file(ui: WebUI, request: web.Request) -> web.Response:
    """A shared file's content as plain text (never rendered as HTML)."""
    stored = ui.slack.workspace.files.get(request.match_info["file_id"])
    if stored is None or stored.content is None:
        raise web.HTTPNotFound(text="no such file")
    return web.Response(body=stored.content, content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})


async def index(ui: WebUI, request: web.Request) -> web.FileResponse:
    """The page itself."""
    return web.FileResponse(STATIC / "index.html", headers=_NO_CACHE)


def add_routes(app: web.Application, ui: WebUI) -> None:
    """Register the page, its static files, its JSON API and its live socket under /ui/ (and / redirects there)."""
    bind = functools.partial
    app.router.add_get("/", _to_page)
    app.router.add_get("/ui", _to_page)
    app.router.add_get("/ui/", bind(index, ui))
    app.router.add_static("/ui/static/", STATIC, append_version=False)
    app.router.add_get("/ui/ws", ui.live.handle)
    app.router.add_get("/ui/files/{file_id}", bind(get_file, ui))
    app.router.add_get("/ui/api/workspace", bind(get_workspace, ui))
    app.router.add_get("/ui/api/state", bind(get_state, ui))
    for name, handler in (("command", post_command), ("message", post_message), ("click", post_click),
                          ("submit", post_submit), ("close", post_close), ("home", post_home)):
        app.router.add_post(f"/ui/api/{name}", bind(handler, ui))
    app.router.add_post("/ui/api/actions/{key}", bind(post_action, ui))


async def _to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ui/")
