"""App Home: what is open, what waits on the viewer, and the last decisions from the audit trail."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.home import AuditLine, HomeIncident, home_view
from bot.approvals.approvers import Approvers
from bot.audit import AuditLog
from bot.incidents.permalinks import permalink
from bot.incidents.registry import IncidentRegistry
from bot.run.state import IncidentState

__all__ = ["register", "build_home"]

log = logging.getLogger(__name__)


def _waiting(state: IncidentState) -> str:
    parts = [f"PR #{a.pr_number} needs a decision" if a.pr_number is not None else "an action needs a decision"
             for a in state.pending_approvals()]  # fmt: skip
    parts += [f"`{c.tool_name}` call needs Allow or Deny" for c in state.pending_confirmations()]
    return "; ".join(parts)


async def build_home(
    client: AsyncWebClient, registry: IncidentRegistry, audit: AuditLog, approvers: Approvers, user_id: str
) -> dict:
    """The Home view for one user."""
    is_approver = await approvers.allows(user_id)
    incidents = []
    for run in sorted(registry.runs.values(), key=lambda r: r.state.started_at, reverse=True):
        if run.state.finished:
            continue
        if not run.permalink:
            run.permalink = await permalink(client, run.thread.channel, run.thread.ts)
        waiting = _waiting(run.state)
        incidents.append(HomeIncident(run.state.title, run.state.status, run.permalink, waiting if is_approver else ""))
    records = await audit.last(20)
    decisions = [
        AuditLine(at=datetime.fromisoformat(r.when), who=r.who, action=r.action, incident=r.incident, pr_number=r.pr_number)
        for r in records
    ]
    return home_view(incidents=incidents, decisions=decisions, viewer_is_approver=is_approver)


def register(app: AsyncApp, registry: IncidentRegistry, audit: AuditLog, approvers: Approvers) -> None:
    """Publish the Home tab whenever someone opens it."""

    async def on_home(event: dict, client: AsyncWebClient) -> None:
        user = str(event.get("user", ""))
        if event.get("tab", "home") != "home" or not user:
            return
        try:
            await client.views_publish(user_id=user, view=await build_home(client, registry, audit, approvers, user))
        except SlackApiError as exc:
            log.warning("could not publish App Home for %s: %s", user, exc.response.get("error"))

    app.event("app_home_opened")(on_home)
