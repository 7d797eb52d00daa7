"""The Web API endpoint /api/<method>: argument merging, tokens, injected failures, recording, dispatch."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .api import METHODS, Args, SlackError

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["ApiCall", "DEFAULT_SCOPES", "Failure", "WebApi"]

log = logging.getLogger(__name__)

# A bot token's scopes unless the test says otherwise (SlackStandin(scopes=...)).
DEFAULT_SCOPES = ("commands", "chat:write", "chat:write.public", "channels:history", "groups:history", "channels:read",
                  "groups:read", "usergroups:read", "users:read", "files:write", "reactions:write")  # fmt: skip


@dataclass
class ApiCall:
    """One Web API request as received (args = query + form + JSON merged) and what was answered."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 0
    response: Any = None
    at: float = 0.0  # time.monotonic() on arrival
    http_method: str = "POST"


@dataclass
class Failure:
    """An injected failure for the next `count` calls of a method."""

    method: str
    status: int
    retry_after: int | None
    count: int
    error: str | None = None
    when: Callable[[dict[str, Any]], bool] | None = None  # only calls whose arguments this accepts
    used: int = field(default=0)


def _token(request: web.Request, args: Args) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    token = args.get("token")
    return token if isinstance(token, str) and token else None


async def _merged_args(request: web.Request) -> Args:
    args = Args({k: request.query.getone(k) for k in request.query})
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        args.update(body)
    else:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


class WebApi:
    """Answers /api/<method> for the stand-in; unimplemented methods get unknown_method."""

    def __init__(self, slack: SlackStandin) -> None:
        self.slack = slack
        self.failures: list[Failure] = []

    async def handle(self, request: web.Request) -> web.Response:
        """Record the call, then answer it the way Slack would."""
        name = request.match_info["method"]
        call = ApiCall(name, {}, dict(request.headers), at=time.monotonic(), http_method=request.method)
        self.slack.calls.append(call)
        headers: dict[str, str] = {}
        try:
            args = await _merged_args(request)
            call.args = dict(args)
            status, body, headers = await self._answer(name, request, args)
        except SlackError as err:
            status, body = 200, err.body()
        except Exception:
            log.exception("slack stand-in failed on %s", name)
            status, body = 500, {"ok": False, "error": "fatal_error"}
        call.status, call.response = status, body
        self.slack.changed()
        return web.json_response(body, status=status, headers=headers)

    async def _answer(self, name: str, request: web.Request, args: Args) -> tuple[int, dict[str, Any], dict[str, str]]:
        failure = self._injected(name, args)
        if failure is not None:
            return failure
        spec = METHODS.get(name)
        if spec is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": name}, {}
        token = _token(request, args)
        self._check_token(spec.token, token)
        # Slack names a bot token's scopes on every Web API answer.
        is_bot = token == self.slack.bot_token if self.slack.bot_token else bool(token and token.startswith("xoxb-"))
        headers = {"x-oauth-scopes": ",".join(self.slack.scopes)} if is_bot else {}
        return 200, await spec.handler(self.slack, args), headers

    def _injected(self, name: str, args: Args) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        for failure in self.failures:
            if failure.method == name and failure.used < failure.count and (failure.when is None or failure.when(args)):
                failure.used += 1
                if failure.error is not None:
                    return 200, {"ok": False, "error": failure.error}, {}
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                error = "ratelimited" if failure.status == 429 else "fatal_error"
                return failure.status, {"ok": False, "error": error}, headers
        return None

    def _check_token(self, kind: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        slack = self.slack
        is_bot = token == slack.bot_token if slack.bot_token else token.startswith("xoxb-")
        is_app = token == slack.app_token if slack.app_token else token.startswith("xapp-")
        if not is_bot and not is_app:
            raise SlackError("invalid_auth")
        if (kind == "bot" and not is_bot) or (kind == "app" and not is_app):
            raise SlackError("not_allowed_token_type")
