"""The incident's root message in the on-call channel: the incident at a glance."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from blocks import _kit as kit
from blocks.ids import ActionId, ButtonValue
from blocks.message import Message
from blocks.text import escape, mrkdwn_from_markdown, one_line, truncate
from blocks.views import Decision, IncidentStatus, IncidentView, Outcome

__all__ = ["STATUS_LABELS", "elapsed", "root_message"]

STATUS_LABELS: dict[IncidentStatus, tuple[str, str]] = {
    IncidentStatus.OPENING: (":hourglass_flowing_sand:", "Opening"),
    IncidentStatus.RUNNING: (":large_blue_circle:", "Running — investigating"),
    IncidentStatus.WAITING: (":raised_hand:", "Waiting for an answer"),
    IncidentStatus.IDLE: (":white_check_mark:", "Idle — the agent finished its turn"),
    IncidentStatus.RESCHEDULING: (":arrows_counterclockwise:", "Rescheduling"),
    IncidentStatus.STOPPED: (":octagonal_sign:", "Stopped"),
    IncidentStatus.FAILED: (":red_circle:", "Failed"),
    IncidentStatus.TERMINATED: (":black_square_for_stop:", "Terminated"),
}
_OUTCOMES = {
    Outcome.APPROVED: ":white_check_mark: Approved",
    Outcome.REJECTED: ":x: Rejected",
    Outcome.ALLOWED: ":white_check_mark: Allowed",
    Outcome.DENIED: ":no_entry: Denied",
    Outcome.EXPIRED: ":hourglass: Expired — no decision in time",
    Outcome.CANCELLED: ":no_entry_sign: Cancelled",
}
_SUMMARY_SECTIONS = 3
_MAX_LINK = 1000
_WEB_LINK = re.compile(r"https?://[^\s<>|\x00-\x1f\x7f]+", re.IGNORECASE)


def elapsed(start: datetime, now: datetime) -> str:
    """Time between two moments as '45s', '12m 05s' or '3h 02m 05s' (never negative)."""
    seconds = max(0, int((kit.as_utc(now) - kit.as_utc(start)).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _status(view: IncidentView) -> str:
    emoji, label = STATUS_LABELS.get(view.status, (":grey_question:", str(view.status)))
    return f"{emoji} {label}"


def _decision_line(decision: Decision) -> str:
    word = _OUTCOMES.get(decision.outcome, escape(decision.outcome.capitalize()))
    line = f"{word} by {kit.who(decision.by)} {kit.when(decision.at)}"
    if decision.reason:
        line += f"\n>{one_line(escape(decision.reason), 1000)}"
    return line


def _pr_line(view: IncidentView) -> str:
    label = f"#{view.pr_number}" if view.pr_number is not None else "pull request"
    return kit.link(view.pr_url, label)


def _alert_link(label: str, url: str) -> str:
    """A link from alert data (untrusted): only a plain http(s) URL is linked, with its host said in words."""
    label = escape(one_line(label, 40))
    if len(url) > _MAX_LINK or not _WEB_LINK.fullmatch(url):
        return f"{label} (not a plain web link, not shown)"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host += f":{parts.port}" if parts.port else ""
    except ValueError:
        return f"{label} (not a plain web link, not shown)"
    return f"<{escape(url)}|{label}> ({escape(host)})"


def root_message(view: IncidentView, *, now: datetime) -> Message:
    """The root message: title, status, who and how it was opened, elapsed time and what is known so far."""
    title = escape(one_line(view.title, 500)) or "Untitled incident"
    opener = kit.who(view.opened_by) if view.opened_by else "an integration"
    blocks = [
        kit.header(f":rotating_light: {title}"),
        kit.fields(
            ("Status", _status(view)),
            ("Elapsed", elapsed(view.started_at, now)),
            ("Opened by", opener),
            ("Source", escape(one_line(view.source, 200)) or "unknown"),
        ),
    ]
    if view.links:
        blocks.append(kit.context(" · ".join(_alert_link(label, url) for label, url in view.links[:4])))
    if view.resolved_upstream_at is not None:
        blocks.append(kit.section(f":large_green_circle: *Resolved upstream* {kit.when(view.resolved_upstream_at)}: "
                                  "the alert no longer fires in its own tool"))
    if view.current_step:
        blocks.append(kit.section(f"*Current step:* {one_line(escape(view.current_step), 500)}"))
    if view.status_detail:
        blocks.append(kit.section(f"*Detail:* {truncate(escape(view.status_detail), 2500)}"))
    if view.root_cause:
        blocks.append(kit.section(f"*Root cause:* {truncate(mrkdwn_from_markdown(escape(view.root_cause)), 2900)}"))
    if view.pr_number is not None or view.pr_url:
        blocks.append(kit.section(f"*Pull request:* {_pr_line(view)}"))
    if view.decision is not None:
        blocks.append(kit.section(f"*Decision:* {_decision_line(view.decision)}"))
    if view.stopped_by:
        blocks.append(kit.section(f":octagonal_sign: *Stopped* by {kit.who(view.stopped_by)}"))
    if view.final_summary:
        blocks.append(kit.section("*Summary*"))
        summary = mrkdwn_from_markdown(escape(view.final_summary))
        blocks.extend(kit.sections(summary, max_blocks=_SUMMARY_SECTIONS, note="… (full text in the thread)"))
    footer = []
    if view.session_id:
        footer.append(f"Session `{escape(one_line(view.session_id, 200)).replace('`', '')}`")
    if view.spend:
        footer.append(f"Spend {escape(one_line(view.spend, 100))} at list price")
    if view.console_url:
        footer.append(kit.link(view.console_url, "Open in Console"))
    if view.updated_at is not None:
        footer.append(f"Updated {kit.when(view.updated_at)}")
    if footer:
        blocks.append(kit.context(" · ".join(footer)))
    if view.stoppable and view.session_id:
        value = ButtonValue(session_id=view.session_id, tool_use_id="stop")
        confirm = kit.confirm_dialog(
            "Stop the agent?",
            "The agent is interrupted now; what it waits on is refused: approvals rejected, held tool calls denied.",
            ok="Stop", cancel="Keep going",
        )
        blocks.append(kit.actions("incident_root_actions", kit.button(":octagonal_sign: Stop", ActionId.STOP, value, style="danger", confirm=confirm)))
    fallback = f"Incident: {truncate(title, 300)} — {_status(view).split(' ', 1)[1]}"
    return Message(text=fallback, blocks=kit.within_total(blocks, note="… (full text in the thread)"))
