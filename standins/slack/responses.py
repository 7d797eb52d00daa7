"""response_url: the per-interaction URL where an app can reply, replace or delete the original message."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .api import SlackError
from .chat import bot_fields, normalize_blocks
from .validate import check_blocks, truncate_text
from .webapi import ApiCall

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["issue_response_url", "respond"]


def issue_response_url(slack: SlackStandin, *, user_id: str, channel_id: str, message_ts: str | None = None) -> str:
    """A response_url for one interaction (a command, or a click on a message)."""
    token = secrets.token_urlsafe(12)
    slack.response_urls[token] = {"user_id": user_id, "channel_id": channel_id, "message_ts": message_ts}
    return f"{slack.base_url}/response/{slack.workspace.team_id}/{token}"


def _apply(slack: SlackStandin, context: dict[str, Any], body: dict[str, Any]) -> None:
    ws = slack.workspace
    channel = ws.channel(context["channel_id"])
    blocks = body.get("blocks")
    check_blocks(blocks)
    original = channel.messages.get(context.get("message_ts") or "")
    if body.get("delete_original") and original is not None:
        del channel.messages[original["ts"]]
    elif body.get("replace_original") and original is not None:
        # the reply replaces the whole message: blocks and attachments it leaves out are gone
        ws.edit(original, {"text": truncate_text(body.get("text")) or "", "blocks": normalize_blocks(blocks) or [],
                           "attachments": body.get("attachments") or []}, editor=ws.bot_user_id)
    elif body.get("response_type") == "in_channel":
        msg = {**bot_fields(ws), "text": truncate_text(body.get("text")) or ""}
        if blocks is not None:
            msg["blocks"] = normalize_blocks(blocks)
        msg = ws.add(channel, msg, thread_ts=body.get("thread_ts"))
        slack.posted(channel.id, msg)


async def respond(slack: SlackStandin, request: web.Request) -> web.Response:
    """POST to a response_url: recorded in slack.responses, and applied to the channel when it says so."""
    token = request.match_info["token"]
    call = ApiCall("response_url", {}, dict(request.headers), at=time.monotonic())
    slack.calls.append(call)
    context = slack.response_urls.get(token)
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        body = None
    call.args = body if isinstance(body, dict) else {"raw": body}
    if context is None:
        call.status, call.response = 404, "no_such_url"
    elif not isinstance(body, dict):
        call.status, call.response = 400, "invalid_payload"
    else:
        try:
            _apply(slack, context, body)
            slack.responses.append({**context, "body": body})
            call.status, call.response = 200, "ok"
        except SlackError as err:
            call.status, call.response = 400, err.error
    slack.changed()
    return web.Response(status=call.status, text=str(call.response), content_type="text/plain")
