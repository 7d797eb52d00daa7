"""App Home: open incidents, approvals waiting on the viewer, and the last decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from blocks import _kit as kit
from blocks.root import STATUS_LABELS
from blocks.text import escape, one_line
from blocks.views import IncidentStatus

__all__ = ["AuditLine", "HomeIncident", "home_view"]

MAX_HOME_BLOCKS = 100


@dataclass(frozen=True, slots=True)
class HomeIncident:
    title: str
    status: IncidentStatus
    link: str | None  # permalink to the root message
    waiting_on_viewer: str = ""  # "PR #1 needs your approval" when the viewer can decide something


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime
    who: str | None
    action: str  # "approved", "rejected", "allowed", "denied", "stopped", "merged", "expired"
    incident: str
    pr_number: int | None = None


def _incident_line(inc: HomeIncident) -> str:
    emoji, label = STATUS_LABELS.get(inc.status, (":grey_question:", str(inc.status)))
    title = escape(one_line(inc.title, 150)) or "Untitled incident"
    return f"{emoji} {kit.link(inc.link, title)} — {label}"


def home_view(*, incidents: list[HomeIncident], decisions: list[AuditLine], viewer_is_approver: bool) -> dict[str, Any]:
    """The Home tab for one viewer (a `home` view for views.publish)."""
    blocks: list[dict[str, Any]] = [kit.header("incident-bot")]
    waiting = [i for i in incidents if i.waiting_on_viewer]
    blocks.append(kit.section("*Waiting on you*" if viewer_is_approver else "*Waiting on approvers*"))
    if waiting:
        blocks += [kit.section(f"{_incident_line(i)}\n:raised_hand: {escape(i.waiting_on_viewer)}") for i in waiting[:15]]
    else:
        blocks.append(kit.context("Nothing is waiting for a decision."))
    blocks += [kit.divider(), kit.section(f"*Open incidents* ({len(incidents)})")]
    blocks += [kit.section(_incident_line(i)) for i in incidents[:30]] or [kit.context("No open incidents.")]
    blocks += [kit.divider(), kit.section("*Last decisions*")]
    lines = [
        f"{kit.when(d.at)} {kit.who(d.who)} *{escape(d.action)}* "
        + (f"PR #{d.pr_number} " if d.pr_number is not None else "")
        + f"in {escape(one_line(d.incident, 120))}"
        for d in decisions[:20]
    ]
    blocks += [kit.section("\n".join(lines))] if lines else [kit.context("No decisions yet.")]
    if not viewer_is_approver:
        blocks.append(kit.context("You are not an approver: you can follow incidents but not decide them."))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
