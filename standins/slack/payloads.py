"""What Slack sends an app: slash command forms, interaction payloads and event_callback bodies."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from .store import Workspace, public

__all__ = ["VERIFICATION_TOKEN", "block_actions", "event_callback", "find_action", "message_event",
           "slash_command", "user_ref", "view_closed", "view_submission"]

VERIFICATION_TOKEN = "standin-verification-token"


def user_ref(ws: Workspace, user_id: str) -> dict[str, Any]:
    """The `user` object of an interaction payload."""
    name = ws.user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": ws.team_id}


def _team(ws: Workspace) -> dict[str, Any]:
    return {"id": ws.team_id, "domain": ws.team_domain}


def slash_command(ws: Workspace, *, user_id: str, command: str, text: str, channel_id: str,
                  trigger_id: str, response_url: str) -> dict[str, str]:
    """The form Slack posts for a slash command (every value a string)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        "channel_id": channel_id,
        "channel_name": ws.channel(channel_id).name,
        "user_id": user_id,
        "user_name": ws.user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def find_action(message: dict[str, Any], action_id: str) -> tuple[dict[str, Any], str] | None:
    """The interactive element with this action_id in a message's blocks, and its block's id."""
    for block in message.get("blocks") or []:
        candidates = list(block.get("elements") or []) + [block[k] for k in ("accessory", "element") if block.get(k)]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element, str(block.get("block_id", ""))
    return None


def block_actions(ws: Workspace, *, user_id: str, channel_id: str, message: dict[str, Any],
                  element: dict[str, Any], block_id: str, value: str | None, trigger_id: str,
                  response_url: str) -> dict[str, Any]:
    """A block_actions payload for a click on a button of a stored channel message."""
    container: dict[str, Any] = {"type": "message", "message_ts": message["ts"], "channel_id": channel_id,
                                 "is_ephemeral": False}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    action: dict[str, Any] = {"type": element.get("type", "button"), "action_id": element.get("action_id"),
                              "block_id": block_id, "action_ts": f"{time.time():.6f}"}
    if "text" in element:
        action["text"] = copy.deepcopy(element["text"])
    if value is not None:
        action["value"] = value
    if element.get("style"):
        action["style"] = element["style"]
    return {
        "type": "block_actions",
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": _team(ws),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": ws.channel(channel_id).name},
        "message": public(message, metadata=True),
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def view_submission(ws: Workspace, *, user_id: str, view: dict[str, Any], values: dict[str, Any],
                    trigger_id: str) -> dict[str, Any]:
    """A view_submission payload: the open view with its state values filled in."""
    state: dict[str, dict[str, Any]] = {}
    for block_id, actions in values.items():
        state[block_id] = {
            action_id: value if isinstance(value, dict) else {"type": "plain_text_input", "value": value}
            for action_id, value in actions.items()
        }
    submitted = {**copy.deepcopy(view), "state": {"values": state}}
    return {
        "type": "view_submission",
        "team": _team(ws),
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_closed(ws: Workspace, *, user_id: str, view: dict[str, Any], cleared: bool) -> dict[str, Any]:
    """A view_closed payload: the member cancelled a modal that set notify_on_close."""
    return {
        "type": "view_closed",
        "team": _team(ws),
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "view": copy.deepcopy(view),
        "is_cleared": cleared,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def message_event(ws: Workspace, channel_id: str, msg: dict[str, Any]) -> dict[str, Any]:
    """The `message` event Slack sends for a new channel message."""
    event = public(msg, metadata=True)
    for key in ("reply_count", "reply_users", "reply_users_count", "latest_reply", "is_locked", "subscribed"):
        event.pop(key, None)
    if event.get("files") and not event.get("subtype"):
        event["subtype"] = "file_share"
    event.update({"channel": channel_id, "event_ts": msg["ts"], "channel_type": "channel"})
    return event


def event_callback(ws: Workspace, event: dict[str, Any]) -> dict[str, Any]:
    """The whole event_callback body around one event, as the Events API delivers it."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "context_team_id": ws.team_id,
        "context_enterprise_id": None,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": ws.team_id, "user_id": ws.bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(12)}",
    }
