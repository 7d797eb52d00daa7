"""Modals and the Home tab: views.open, views.update, views.publish, trigger ids and the views a member has."""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .api import Args, SlackError, method
from .chat import normalize_blocks
from .validate import check_view

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["TRIGGER_TTL", "Trigger", "ViewStore"]

TRIGGER_TTL = 3.0  # a trigger_id works once, within three seconds


@dataclass
class Trigger:
    """A trigger_id handed to the app with an interaction."""

    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ViewStore:
    """Every view by id; per member, the modals opened (in order) and the Home tab."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_user: dict[str, list[str]] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    triggers: dict[str, Trigger] = field(default_factory=dict)

    def issue_trigger(self, user_id: str) -> str:
        """A new trigger_id for an interaction by this member."""
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(user_id, time.monotonic())
        return trigger_id

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab published for a member."""
        view_id = self.homes.get(user_id)
        return self.by_id.get(view_id) if view_id else None

    def modals(self, user_id: str, *, open_only: bool = True) -> list[dict[str, Any]]:
        """The modals opened for a member, oldest first (only those still open by default)."""
        ids = [v for v in self.by_user.get(user_id, []) if v not in self.homes.values()]
        return [self.by_id[v] for v in ids if not open_only or v not in self.closed]

    def use_trigger(self, trigger_id: str | None) -> str:
        """Spend a trigger_id; the member it belongs to."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("trigger_exchanged")
        if time.monotonic() - trigger.issued_at > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id


def _build(slack: SlackStandin, view: dict[str, Any], *, view_id: str, previous: str | None = None) -> dict[str, Any]:
    ws = slack.workspace
    out: dict[str, Any] = {
        "id": view_id, "team_id": ws.team_id, "type": view["type"], "private_metadata": "", "callback_id": "",
        "state": {"values": {}}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "clear_on_close": False,
        "notify_on_close": False, "close": None, "submit": None, "external_id": "", "root_view_id": view_id,
        "previous_view_id": previous, "app_id": ws.app_id, "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }
    out.update(copy.deepcopy(view))
    out["id"], out["blocks"] = view_id, normalize_blocks(view.get("blocks") or [])
    return out


def _find(slack: SlackStandin, args: Args) -> dict[str, Any]:
    view_id, external_id = args.text("view_id"), args.text("external_id")
    for view in slack.views.by_id.values():
        if (view_id and view["id"] == view_id) or (external_id and view.get("external_id") == external_id):
            return view
    raise SlackError("not_found")


def _check_hash(existing: dict[str, Any], args: Args) -> None:
    given = args.text("hash")
    if given and given != existing.get("hash"):
        raise SlackError("hash_conflict")


@method("views.open")
async def views_open(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Open a modal for the member whose interaction issued trigger_id."""
    view = args.parsed("view")
    check_view(view, surface="modal")
    user_id = slack.views.use_trigger(args.text("trigger_id") or args.text("interactivity_pointer"))
    built = _build(slack, view, view_id=slack.workspace.new_id("V"))
    slack.views.by_id[built["id"]] = built
    slack.views.by_user.setdefault(user_id, []).append(built["id"])
    slack.changed()
    return {"ok": True, "view": copy.deepcopy(built)}


@method("views.update")
async def views_update(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Replace an existing view (by view_id or external_id), refusing a stale hash."""
    existing = _find(slack, args)
    view = args.parsed("view")
    check_view(view, surface=existing["type"])
    _check_hash(existing, args)
    built = _build(slack, view, view_id=existing["id"], previous=existing.get("previous_view_id"))
    built["root_view_id"] = existing["root_view_id"]
    slack.views.by_id[existing["id"]] = built
    slack.changed()
    return {"ok": True, "view": copy.deepcopy(built)}


@method("views.publish")
async def views_publish(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Publish a member's Home tab."""
    user_id = args.text("user_id", required=True) or ""
    slack.workspace.user(user_id)
    view = args.parsed("view")
    check_view(view, surface="home")
    existing = slack.views.home(user_id)
    if existing is not None:
        _check_hash(existing, args)
    view_id = existing["id"] if existing else slack.workspace.new_id("V")
    built = _build(slack, view, view_id=view_id)
    slack.views.by_id[view_id] = built
    if existing is None:
        slack.views.homes[user_id] = view_id
        slack.views.by_user.setdefault(user_id, []).append(view_id)
    slack.changed()
    return {"ok": True, "view": copy.deepcopy(built)}
