"""auth.test, apps.connections.open, users.info and usergroups.users.list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import Args, SlackError, method

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["user_object"]

_PROFILE_KEYS = ("email", "display_name", "title", "phone", "status_text", "status_emoji", "image_72")


def user_object(slack: SlackStandin, user_id: str) -> dict[str, Any]:
    """A member as users.info shows it."""
    ws = slack.workspace
    info = ws.user(user_id)
    name = str(info.get("name", user_id))
    real_name = str(info.get("real_name", name))
    is_bot = user_id == ws.bot_user_id or bool(info.get("is_bot"))
    profile: dict[str, Any] = {"real_name": real_name, "real_name_normalized": real_name,
                               "display_name": name, "display_name_normalized": name, "team": ws.team_id}
    profile.update({k: v for k, v in info.items() if k in _PROFILE_KEYS})
    if user_id == ws.bot_user_id:
        profile.update({"bot_id": ws.bot_id, "api_app_id": ws.app_id, "always_active": True})
    user: dict[str, Any] = {
        "id": user_id, "team_id": ws.team_id, "name": name, "deleted": False, "color": "9f69e7",
        "real_name": real_name, "tz": "Etc/UTC", "tz_label": "Coordinated Universal Time", "tz_offset": 0,
        "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
        "is_ultra_restricted": False, "is_bot": is_bot, "is_app_user": False, "updated": 1700000000,
    }
    user.update({k: v for k, v in info.items() if k not in _PROFILE_KEYS and k not in ("name", "real_name")})
    user["profile"] = profile
    return user


@method("auth.test")
async def auth_test(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Who the bot token belongs to (Bolt reads user_id and bot_id to ignore the bot's own events)."""
    ws = slack.workspace
    return {"ok": True, "url": f"https://{ws.team_domain}.slack.com/", "team": "Stand-in Workspace",
            "user": ws.user_name(ws.bot_user_id), "team_id": ws.team_id, "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id, "is_enterprise_install": False}


@method("apps.connections.open", token="app")
async def apps_connections_open(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """A fresh Socket Mode URL with a ticket for this stand-in's /link WebSocket."""
    ticket = slack.hub.issue_ticket()
    return {"ok": True, "url": f"{slack.ws_url}?ticket={ticket}&app_id={slack.workspace.app_id}"}


@method("users.info")
async def users_info(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """One member's user object."""
    return {"ok": True, "user": user_object(slack, args.text("user") or "")}


@method("usergroups.users.list")
async def usergroups_users_list(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """The members of a user group."""
    group = args.text("usergroup", required=True)
    members = slack.workspace.usergroups.get(group or "")
    if members is None:
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(members)}
