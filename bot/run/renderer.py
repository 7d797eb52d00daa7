"""The renderer: pure functions from IncidentState to the Slack messages that should exist."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from blocks import (
    agent_messages,
    approval_card,
    confirmation_card,
    error_message,
    notice,
    progress_message,
    reminder,
    root_message,
)
from blocks.message import Message
from blocks.views import (
    ApprovalState,
    ApprovalView,
    ConfirmationState,
    ConfirmationView,
    Decision,
    IncidentStatus,
    IncidentView,
    ProgressView,
)

from bot.run.state import IncidentState, ThreadItem
from bot.secrets import redact, redact_blocks
from bot.run.steps import summarise_input

__all__ = ["Rendered", "render_root", "render_thread", "DIFF_ATTACH_LINES"]

DIFF_ATTACH_LINES = 40  # a diff longer than the card's preview is attached whole to the thread


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message the thread should show, under a key that stays the same across restarts."""

    key: str
    message: Message
    broadcast: bool = False
    file: tuple[str, str] | None = None  # (filename, content): upload once instead of a message


# The builders are pure and their views frozen: a thread re-rendered after each event rebuilds only what changed.
_agent_messages = lru_cache(maxsize=4096)(agent_messages)
_progress_message = lru_cache(maxsize=4096)(progress_message)
_approval_card = lru_cache(maxsize=1024)(approval_card)


def _console_url(template: str, session_id: str) -> str | None:
    return template.format(session_id=session_id) if template else None


def render_root(state: IncidentState, *, console_url: str = "") -> Message:
    """The root message: the incident at a glance."""
    latest = state.latest_pr
    decided = [a.decision for a in state.approvals.values() if a.decision is not None]
    current = ""
    if state.status in (IncidentStatus.RUNNING, IncidentStatus.WAITING) and state.tools:
        last = list(state.tools.values())[-1]
        current = f"{last.name} {summarise_input(last.name, dict(last.input))}".strip()
    view = IncidentView(
        title=state.title,
        opened_by=state.opened_by,
        status=state.status,
        started_at=state.started_at,
        session_id=state.session_id or None,
        console_url=_console_url(console_url, state.session_id) if state.session_id else None,
        source=state.source,
        current_step=current,
        root_cause=state.root_cause,
        pr_number=latest.number if latest else None,
        pr_url=latest.url if latest else None,
        decision=decided[-1] if decided else None,
        status_detail=state.status_detail,
        final_summary=state.last_message if state.status in (IncidentStatus.IDLE, IncidentStatus.STOPPED) else "",
        updated_at=state.updated_at,
        stoppable=state.stoppable,
        stopped_by=state.stopped_by,
    )
    msg = root_message(view, now=state.updated_at or state.started_at)
    return Message(text=redact(msg.text), blocks=redact_blocks(msg.blocks))


def _approval_view(state: IncidentState, item: ThreadItem) -> ApprovalView:
    approval = state.approvals[item.ref]
    pr = state.prs.get(approval.pr_number) if approval.pr_number is not None else None
    decision: Decision | None = approval.decision
    if decision is None:
        card_state = ApprovalState.CANCELLED if approval.note else ApprovalState.PENDING
    else:
        card_state = {
            "approved": ApprovalState.APPROVED,
            "expired": ApprovalState.EXPIRED,
        }.get(decision.outcome, ApprovalState.REJECTED)
    return ApprovalView(
        session_id=state.session_id,
        tool_use_id=approval.tool_use_id,
        summary=approval.summary,
        state=card_state,
        pr_number=approval.pr_number,
        pr_title=pr.title if pr else "",
        pr_url=pr.url if pr else None,
        diff=pr.diff if pr else "",
        diff_sha256=approval.diff_sha256 or (pr.diff_sha256 if pr else ""),
        decision=decision,
        note=approval.note,
    )


def _confirmation_view(state: IncidentState, item: ThreadItem) -> ConfirmationView:
    conf = state.confirmations[item.ref]
    if conf.result is None:
        card_state = ConfirmationState.CANCELLED if conf.note else ConfirmationState.PENDING
        decision = None
    else:
        card_state = ConfirmationState.ALLOWED if conf.result == "allow" else ConfirmationState.DENIED
        at = state.updated_at or state.started_at
        outcome = "allowed" if conf.result == "allow" else "denied"
        decision = Decision(outcome=outcome, by=conf.decided_by, at=at, reason=conf.deny_message)
    return ConfirmationView(
        session_id=state.session_id,
        tool_use_id=conf.tool_use_id,
        tool_name=conf.tool_name,
        tool_input=dict(conf.tool_input),
        state=card_state,
        decision=decision,
        note=conf.note,
    )


_scrubbed: dict[int, tuple[Message, Message]] = {}  # id -> (message, scrubbed); holding it keeps the id unique


def _scrub_message(message: Message) -> Message:
    hit = _scrubbed.get(id(message))
    if hit is not None and hit[0] is message:
        return hit[1]
    out = Message(text=redact(message.text), blocks=redact_blocks(message.blocks))
    if len(_scrubbed) > 8192:
        _scrubbed.clear()
    _scrubbed[id(message)] = (message, out)
    return out


def _scrub(r: Rendered) -> Rendered:
    file = (r.file[0], redact(r.file[1])) if r.file else None
    return Rendered(r.key, _scrub_message(r.message), broadcast=r.broadcast, file=file)


def render_thread(state: IncidentState) -> list[Rendered]:
    """Every message the incident thread should show, in order, with secrets redacted."""
    return [_scrub(r) for r in _render_thread(state)]


def _render_thread(state: IncidentState) -> list[Rendered]:
    out: list[Rendered] = []
    for item in state.items:
        match item.kind:
            case "message":
                for i, msg in enumerate(_agent_messages(item.text)):
                    out.append(Rendered(item.key if i == 0 else f"{item.key}#{i + 1}", msg))
            case "progress":
                answered = all(state.tools[i].answered for i in item.step_ids if i in state.tools)
                done = answered and (item is not state.items[-1] or state.finished)
                out.append(Rendered(item.key, _progress_message(ProgressView(state.step_views(item), done=done))))
            case "approval":
                view = _approval_view(state, item)
                out.append(Rendered(item.key, _approval_card(view), broadcast=item.broadcast))
                if view.pr_number is not None and view.diff.count("\n") > DIFF_ATTACH_LINES:
                    out.append(
                        Rendered(f"diff:{view.pr_number}", Message(text="", blocks=[]),
                                 file=(f"pr-{view.pr_number}.diff", view.diff))
                    )
            case "confirmation":
                out.append(Rendered(item.key, confirmation_card(_confirmation_view(state, item))))
            case "notice":
                out.append(Rendered(item.key, notice(item.text)))
            case "reminder":
                users = tuple(m for m in item.mentions if not m.startswith("S"))
                groups = tuple(m for m in item.mentions if m.startswith("S"))
                out.append(Rendered(item.key, reminder(item.text, users=users, groups=groups)))
            case "error":
                if item.error is not None:
                    out.append(Rendered(item.key, error_message(item.error)))
    return out
