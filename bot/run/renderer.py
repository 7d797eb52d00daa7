"""The renderer: pure functions from IncidentState to the Slack messages that should exist."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

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
from blocks.approval import diff_preview
from blocks.message import Message
from blocks.views import (
    ApprovalState,
    ApprovalView,
    ConfirmationState,
    ConfirmationView,
    Decision,
    IncidentStatus,
    IncidentView,
    Outcome,
    ProgressView,
    StepView,
)

from bot.run.spend import spend_line
from bot.run.state import IncidentState, ThreadItem, ToolCall
from bot.secrets import redact, redact_blocks, redact_view
from bot.run.steps import step_view, summarise_input
from bot.words import ItemKind

__all__ = ["Rendered", "ThreadMemo", "render_root", "render_thread"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message the thread should show, under a key that stays the same across restarts."""

    key: str
    message: Message
    broadcast: bool = False
    file: tuple[str, str] | None = None  # (filename, content): upload once instead of a message
    requires: str = ""  # the key of an item that must be in the thread before this one's buttons are


class ThreadMemo:
    """One incident's last rendering of each thread item, by key: re-rendering after an event rebuilds only
    the items whose view changed, and an unchanged item keeps the very same Message object (so the publisher's
    fingerprint of it is reused). It holds one rendering per item, so memory follows the thread, not a cache size.
    """

    __slots__ = ("_by_key", "_steps")

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[object, list[Rendered]]] = {}
        self._steps: dict[str, tuple[ToolCall, StepView]] = {}

    def steps(self, state: IncidentState, item: ThreadItem) -> tuple[StepView, ...]:
        """The progress steps of `item`; the reducer replaces a ToolCall when it changes, so the same object
        means the same step (a progress message otherwise redraws every earlier step after each event)."""
        out = []
        for i in item.step_ids:
            call = state.tools.get(i)
            if call is None:
                continue
            seen = self._steps.get(i)
            if seen is None or seen[0] is not call:
                seen = self._steps[i] = (call, step_view(call))
            out.append(seen[1])
        return tuple(out)

    def get(self, key: str, view: object, build: Callable[[], list[Rendered]]) -> list[Rendered]:
        """The scrubbed renderings of item `key` for `view`, built only when the view differs from last time."""
        hit = self._by_key.get(key)
        if hit is not None and hit[0] == view:
            return hit[1]
        out = [_scrub(r) for r in build()]
        self._by_key[key] = (view, out)
        return out


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
        spend=spend_line(state),
        links=state.links,
        resolved_upstream_at=state.resolved_upstream_at,
    )
    msg = root_message(redact_view(view), now=state.updated_at or state.started_at)
    return Message(text=redact(msg.text), blocks=redact_blocks(msg.blocks))


def _approval_view(state: IncidentState, item: ThreadItem) -> ApprovalView:
    approval = state.approvals[item.ref]
    pr = state.prs.get(approval.pr_number) if approval.pr_number is not None else None
    decision: Decision | None = approval.decision
    if decision is None:
        card_state = ApprovalState.CANCELLED if approval.note else ApprovalState.PENDING
    else:
        card_state = {
            Outcome.APPROVED: ApprovalState.APPROVED,
            Outcome.EXPIRED: ApprovalState.EXPIRED,
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
        diff_file=f"pr-{pr.number}.diff" if pr else "",
        diff_ready=approval.pr_number is None or (pr is not None and pr.diff_read),
        diff_notes=pr.notes if pr else (),
    )


def _confirmation_view(state: IncidentState, item: ThreadItem) -> ConfirmationView:
    conf = state.confirmations[item.ref]
    if conf.outcome is None:
        card_state = ConfirmationState.CANCELLED if conf.note else ConfirmationState.PENDING
        decision = None
    else:
        card_state = ConfirmationState.ALLOWED if conf.outcome is Outcome.ALLOWED else ConfirmationState.DENIED
        at = state.updated_at or state.started_at
        decision = Decision(outcome=conf.outcome, by=conf.decided_by, at=at, reason=conf.deny_message)
    return ConfirmationView(
        session_id=state.session_id,
        tool_use_id=conf.tool_use_id,
        tool_name=conf.tool_name,
        tool_input=dict(conf.tool_input),
        state=card_state,
        decision=decision,
        note=conf.note,
    )


def _scrub(r: Rendered) -> Rendered:
    file = (r.file[0], redact(r.file[1])) if r.file else None
    message = Message(text=redact(r.message.text), blocks=redact_blocks(r.message.blocks))
    return Rendered(r.key, message, broadcast=r.broadcast, file=file, requires=r.requires)


def render_thread(state: IncidentState, memo: ThreadMemo | None = None) -> list[Rendered]:
    """Every message the incident thread should show, in order, with secrets redacted.

    Each item's text is redacted whole, before a builder splits or cuts it (a token cut in two would pass as two
    harmless halves), and each message again as built.

    Pass the incident's `memo` to rebuild only what changed since the last call; the result is the same.
    """
    return _render_thread(state, memo if memo is not None else ThreadMemo())


def _render_thread(state: IncidentState, memo: ThreadMemo) -> list[Rendered]:
    out: list[Rendered] = []
    for item in state.items:
        key = item.key
        match item.kind:
            case ItemKind.MESSAGE:
                text = item.text
                out += memo.get(key, text, lambda: [
                    Rendered(key if i == 0 else f"{key}#{i + 1}", msg) for i, msg in enumerate(agent_messages(redact(text)))
                ])
            case ItemKind.PROGRESS:
                answered = all(state.tools[i].answered for i in item.step_ids if i in state.tools)
                done = answered and (item is not state.items[-1] or state.finished)
                progress = ProgressView(memo.steps(state, item), done=done)
                out += memo.get(key, progress, lambda: [Rendered(key, progress_message(redact_view(progress)))])
            case ItemKind.APPROVAL:
                view, broadcast = _approval_view(state, item), item.broadcast
                out += memo.get(key, (view, broadcast), lambda: _approval_items(key, redact_view(view), broadcast))
            case ItemKind.CONFIRMATION:
                conf = _confirmation_view(state, item)
                out += memo.get(key, conf, lambda: [Rendered(key, confirmation_card(redact_view(conf)))])
            case ItemKind.NOTICE:
                text = item.text
                out += memo.get(key, text, lambda: [Rendered(key, notice(redact(text)))])
            case ItemKind.REMINDER:
                text, mentions = item.text, tuple(item.mentions)
                out += memo.get(key, (text, mentions), lambda: [Rendered(key, _reminder(redact(text), mentions))])
            case ItemKind.ERROR:
                error = item.error
                if error is not None:
                    out += memo.get(key, error, lambda: [Rendered(key, error_message(redact_view(error)))])
    return out


def _approval_items(key: str, view: ApprovalView, broadcast: bool) -> list[Rendered]:
    card = approval_card(view)
    if view.pr_number is None or not view.diff_file or diff_preview(view.diff).complete:
        return [Rendered(key, card, broadcast=broadcast)]
    # The publisher shows items in order and stops at the first failure it may retry: the card, and its buttons,
    # never reach the thread before the whole diff does (after a restart too: it finds the file by name). If Slack
    # refuses the file for good, the card is shown without its buttons.
    whole = Rendered(f"diff:{view.pr_number}", Message(text="", blocks=[]), file=(view.diff_file, view.diff))
    return [whole, Rendered(key, card, broadcast=broadcast, requires=whole.key)]


def _reminder(text: str, mentions: tuple[str, ...]) -> Message:
    users = tuple(m for m in mentions if not m.startswith("S"))
    groups = tuple(m for m in mentions if m.startswith("S"))
    return reminder(text, users=users, groups=groups)
