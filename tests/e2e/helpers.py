"""Small readers over the stand-ins' state, shared by the end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import ActionId
from bot.demo import ONCALL, DemoWorld
from bot.prs.local import LocalPullRequests
from bot.run.incident import IncidentRun


def block_text(msg: dict[str, Any]) -> str:
    """Every text a person can read in a message: fallback text and all block texts."""
    out = [str(msg.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(msg.get("blocks") or [])
    return "\n".join(out)


def buttons(msg: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in msg.get("blocks") or [] if b.get("type") == "actions" for e in b.get("elements", [])]


def find_card(world: DemoWorld, root_ts: str, action: ActionId) -> dict[str, Any] | None:
    """The thread message that has (or had) a button with this action id, pending or not."""
    for msg in world.slack.thread(ONCALL, root_ts):
        if any(b.get("action_id") == action for b in buttons(msg)):
            return msg
    return None


def thread(world: DemoWorld, root_ts: str) -> list[dict[str, Any]]:
    return world.slack.thread(ONCALL, root_ts)


async def open_incident(world: DemoWorld, user: str, text: str, *, timeout: float = 30) -> tuple[str, IncidentRun]:
    """Type /incident as `user`; return the root message ts and the bot's run once the session is followed."""
    ack = await world.slack.slash_command(user, "/incident", text, channel_id=ONCALL)
    assert ack is not None, "the bot did not ack /incident"
    await world.slack.wait_for(lambda s: len(s.messages(ONCALL)) >= 1, timeout=timeout)
    root_ts = world.slack.messages(ONCALL)[-1]["ts"]
    incidents = world.bot.incidents
    await world.slack.wait_for(lambda s: incidents.find_by_thread(ONCALL, root_ts) is not None, timeout=timeout)
    return root_ts, incidents.find_by_thread(ONCALL, root_ts)


async def wait_for_card(world: DemoWorld, root_ts: str, *, timeout: float = 30) -> dict[str, Any]:
    await world.slack.wait_for(lambda s: find_card(world, root_ts, ActionId.APPROVE) is not None, timeout=timeout)
    return find_card(world, root_ts, ActionId.APPROVE)


def sent_events(world: DemoWorld, session_id: str, kind: str) -> list[dict[str, Any]]:
    """The user events of one kind the bot POSTed to the Managed Agents stand-in for a session."""
    out = []
    for req in world.agents.requests:
        if req.method == "POST" and req.path == f"/v1/sessions/{session_id}/events" and isinstance(req.json, dict):
            out += [e for e in req.json.get("events", []) if e.get("type") == kind and req.status < 300]
    return out


def result_json(event: dict[str, Any]) -> dict[str, Any]:
    return json.loads("".join(b.get("text", "") for b in event.get("content", [])))


async def reject(world: DemoWorld, user: str, card_ts: str, reason: str = "", *, timeout: float = 30) -> None:
    """Click Reject, then fill in and submit the reason modal the bot opens."""
    before = len(world.slack.views.modals(user))
    await world.slack.click(user, ONCALL, card_ts, ActionId.REJECT)
    await world.slack.wait_for(lambda s: len(s.views.modals(user)) > before, timeout=timeout)
    modal = world.slack.views.modals(user)[-1]
    await world.slack.submit_view(user, modal["id"], {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}})


def local_prs(world: DemoWorld) -> LocalPullRequests:
    """The world's PR store where a test reads the git repository itself: local, unless the test gave it a GitHub."""
    prs = world.bot.prs
    assert isinstance(prs, LocalPullRequests), prs
    return prs
