"""The reducer: a pure fold of session events (the SDK's typed models, and the bot's own) into IncidentState."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Mapping

from blocks.views import Decision, ErrorView, IncidentStatus, Outcome

from bot.approvals.result import ApprovalResult
from bot.run.events import (ApprovalReminder, ConfirmationDecided, Event, LocalEvent, Notice, StopRequested, Tick,
                            Unreadable, UpstreamStatus)  # fmt: skip
from bot.run.root_cause import root_cause
from bot.run.skipped import readable_input, skip
from bot.run.spend import on_usage, with_budget_notice
from bot.run.state import Approval, Confirmation, IncidentState, PullRequest, ThreadItem, ToolCall
from bot.run.steps import first_line
from bot.run.values import approval_pr, parse_time, pr_number
from bot.secrets import redact
from bot.words import ItemKind, ToolName

__all__ = ["reduce", "text_of"]

log = logging.getLogger(__name__)

_FAILED_STOPS = {"retries_exhausted": "retries exhausted", "budget_reached": "budget reached", "refusal": "refusal"}


def text_of(content: object) -> str:
    """Join the text blocks of an event's content."""
    if not isinstance(content, list):
        return ""
    return "\n".join(str(b.text) for b in content if b.type == "text")


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _put(mapping: Mapping, key: object, value: object) -> dict:
    return {**mapping, key: value}


def _add_step(state: IncidentState, call_id: str) -> tuple[ThreadItem, ...]:
    items = state.items
    if items and items[-1].kind is ItemKind.PROGRESS:
        last = items[-1]
        return items[:-1] + (replace(last, step_ids=last.step_ids + (call_id,)),)
    return items + (ThreadItem(key=f"progress:{call_id}", kind=ItemKind.PROGRESS, step_ids=(call_id,)),)


def _on_tool_use(state: IncidentState, ev: Any, *, custom: bool) -> IncidentState:
    call = ToolCall(
        at=parse_time(ev.processed_at),
        id=ev.id,
        name=str(ev.name or ""),
        input=readable_input(ev.input),
        custom=custom,
        permission=(ev.evaluated_permission or None) if not custom else None,
    )
    state = replace(state, tools=_put(state.tools, call.id, call), items=_add_step(state, call.id))
    if custom and call.name == ToolName.REQUEST_APPROVAL:
        pr = approval_pr(call.input, state.latest_pr.number if state.latest_pr else None)
        approval = Approval(tool_use_id=call.id, summary=str(call.input.get("summary", "")), pr_number=pr)
        item = ThreadItem(key=f"approval:{call.id}", kind=ItemKind.APPROVAL, ref=call.id, broadcast=True)
        state = replace(state, approvals=_put(state.approvals, call.id, approval), items=state.items + (item,))
    if not custom and call.permission == "ask":
        conf = Confirmation(tool_use_id=call.id, tool_name=call.name, tool_input=call.input)
        item = ThreadItem(key=f"confirmation:{call.id}", kind=ItemKind.CONFIRMATION, ref=call.id)
        state = replace(state, confirmations=_put(state.confirmations, call.id, conf), items=state.items + (item,))
    return state


def _store_diff(data: Mapping[str, Any]) -> str | None:
    """The diff an open_pull_request answer says the PR store holds, if it carries it with its hash."""
    raw = data.get("diff")
    if not isinstance(raw, str):
        return None
    digest = hashlib.sha256(raw.encode(errors="surrogatepass")).hexdigest()
    return raw if digest == str(data.get("diff_sha256", "")) else None


def _on_custom_result(state: IncidentState, ev: Any, at: datetime) -> IncidentState:
    call = state.tools.get(ev.custom_tool_use_id)
    if call is None:
        return state
    text = text_of(ev.content)
    is_error = bool(ev.is_error)
    state = replace(state, tools=_put(state.tools, call.id, replace(call, result=text, is_error=is_error)))
    if call.name == ToolName.REQUEST_APPROVAL and call.id in state.approvals:
        return _on_decision(state, state.approvals[call.id], None if is_error else ApprovalResult.read(text), at,
                            error=text if is_error else "")  # fmt: skip
    data = {} if is_error else _json(text)
    number = pr_number(data.get("pr_number"))
    if call.name == ToolName.OPEN_PULL_REQUEST and number is not None:
        held, notes = _store_diff(data), data.get("review_notes")  # the card shows this, never the agent's input
        pr = PullRequest(
            number=number,
            title=str(call.input.get("title", "")),
            body=str(call.input.get("body", "")),
            diff=held or "",
            url=data.get("url"),
            diff_sha256=str(data.get("diff_sha256", "")),
            tool_use_id=call.id,
            diff_read=held is not None,
            notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
        )
        state = replace(state, prs=_put(state.prs, pr.number, pr))
    elif call.name == ToolName.MERGE_PULL_REQUEST and data.get("merged") is True:
        number = pr_number(call.input.get("pr_number"))
        if number in state.prs:
            state = replace(state, prs=_put(state.prs, number, replace(state.prs[number], merged=True)))
    return state


def _on_decision(state: IncidentState, approval: Approval, result: ApprovalResult | None, at: datetime, *,
                 error: str) -> IncidentState:  # fmt: skip
    """A request_approval answered: an error or a text that is no decision reads as rejected."""
    if result is None:
        decision = Decision(outcome=Outcome.REJECTED, by=None, at=at, reason=error)
        approval = replace(approval, decision=decision, diff_sha256="")
    else:
        by, when = result.approver or None, result.decided_at or at
        reason = "the incident was stopped" if result.stopped else result.reason  # the card names who by itself
        decision = Decision(outcome=result.outcome, by=by, at=when, reason=reason)
        approval = replace(approval, decision=decision, diff_sha256=result.diff_sha256, note="")  # decided after all
        if result.pr_number is not None:
            approval = replace(approval, pr_number=result.pr_number)
    return replace(state, approvals=_put(state.approvals, approval.tool_use_id, approval))


def _on_confirmation(state: IncidentState, ev: Any) -> IncidentState:
    conf = state.confirmations.get(ev.tool_use_id)
    if conf is None:
        return state
    message = str(ev.deny_message or "")
    by = None
    if message.startswith("[") and "]" in message:  # "[U123] reason": the bot records who decided
        by, message = message[1 : message.index("]")], message[message.index("]") + 1 :].strip()
    conf = replace(conf, result=str(ev.result or ""), deny_message=message, decided_by=by or conf.decided_by)
    return replace(state, confirmations=_put(state.confirmations, conf.tool_use_id, conf))


def _cancel_pending(state: IncidentState, note: str) -> IncidentState:
    """Cards still waiting for a person can no longer be decided."""
    approvals = {k: (a if a.decision or a.note else replace(a, note=note)) for k, a in state.approvals.items()}
    confs = {k: (c if c.result or c.note else replace(c, note=note)) for k, c in state.confirmations.items()}
    return replace(state, approvals=approvals, confirmations=confs)


def _on_idle(state: IncidentState, ev: Any) -> IncidentState:
    stop = ev.stop_reason
    kind = stop.type if stop is not None else None
    if kind == "requires_action":
        return replace(state, status=IncidentStatus.WAITING, stop_reason=kind, pending_ids=tuple(stop.event_ids or ()))
    if kind in _FAILED_STOPS:
        detail = _FAILED_STOPS[kind]
        details = ev.stop_details
        if details is not None and details.explanation:
            detail += f": {details.explanation}"
        state = _cancel_pending(state, f"the turn ended: {detail}")
        state = with_budget_notice(state, ev) if kind == "budget_reached" else state
        return replace(state, status=IncidentStatus.FAILED, stop_reason=kind, status_detail=detail, pending_ids=())
    status = IncidentStatus.STOPPED if state.stopped_by else IncidentStatus.IDLE
    return replace(state, status=status, stop_reason=kind or "end_turn", pending_ids=(), status_detail="")


def _on_error(state: IncidentState, ev: Any) -> IncidentState:
    error = ev.error
    retry = error.retry_status.type if error.retry_status is not None else None
    view = ErrorView(error_type=str(error.type or "error"), message=str(error.message or ""), retry_status=retry)
    item = ThreadItem(key=f"error:{ev.id}", kind=ItemKind.ERROR, error=view)
    return replace(state, items=state.items + (item,), status_detail=redact(f"{view.error_type}: {view.message}")[:300])


def _end(state: IncidentState, detail: str) -> IncidentState:
    """The session is gone: pending cards can no longer be decided."""
    state = _cancel_pending(state, detail)
    return replace(state, status=IncidentStatus.TERMINATED, status_detail=detail, pending_ids=())


def reduce(state: IncidentState, ev: Event) -> IncidentState:
    """Fold one event into the incident state; unknown event types change nothing but are noted."""
    at = parse_time(getattr(ev, "processed_at", None)) or state.updated_at or datetime.now(timezone.utc)
    state = replace(state, event_count=state.event_count + 1, updated_at=at)
    if isinstance(ev, LocalEvent):
        return _on_local(state, ev)
    kind = str(ev.type)
    match kind:
        case "session.status_running":
            return replace(state, status=IncidentStatus.RUNNING, status_detail="", pending_ids=())
        case "session.status_idle":
            return _on_idle(state, ev)
        case "session.status_rescheduled":
            return replace(state, status=IncidentStatus.RESCHEDULING, status_detail="the platform is rescheduling")
        case "session.status_terminated":
            return _end(state, "session terminated")
        case "session.deleted":
            return _end(state, "session deleted")
        case "session.error":
            return _on_error(state, ev)
        case "session.usage":
            return on_usage(state, ev)
        case "agent.message":
            text = text_of(ev.content)
            item = ThreadItem(key=f"message:{ev.id}", kind=ItemKind.MESSAGE, text=text)
            return replace(
                state,
                items=state.items + (item,),
                last_message=text,
                root_cause=root_cause(text) or state.root_cause,
            )
        case "agent.tool_use" | "agent.mcp_tool_use":
            return _on_tool_use(state, ev, custom=False)
        case "agent.custom_tool_use":
            return _on_tool_use(state, ev, custom=True)
        case "agent.tool_result" | "agent.mcp_tool_result":
            call = state.tools.get(ev.tool_use_id if kind == "agent.tool_result" else ev.mcp_tool_use_id)
            if call is None:
                return state
            # Only the preview is kept: a built-in tool's output (a whole log file) would otherwise stay in memory
            # for every open incident, and nothing but the step line shows it.
            done = replace(call, result=first_line(text_of(ev.content)), is_error=bool(ev.is_error))
            return replace(state, tools=_put(state.tools, call.id, done))
        case "user.custom_tool_result":
            return _on_custom_result(state, ev, at)
        case "user.tool_confirmation":
            return _on_confirmation(state, ev)
        case "user.message":
            queued = state.queued_messages
            if ev.processed_at is None:
                return replace(state, queued_messages=queued | {str(ev.id)})
            return replace(state, queued_messages=queued - {str(ev.id)})
        case "user.interrupt":
            return replace(state, status_detail="stop requested")
        case (
            "agent.thinking"
            | "span.model_request_start"
            | "span.model_request_end"
            | "agent.thread_context_compacted"
            | "session.updated"
        ):
            return state
        case _:
            if kind not in state.unknown_types:
                log.warning("ignoring unknown event type %r (session %s)", kind, state.session_id)
            return replace(state, unknown_types=state.unknown_types | {kind})


def _on_local(state: IncidentState, ev: LocalEvent) -> IncidentState:
    """The bot's own events: what a person did, or what the bot said, that the API's events do not carry."""
    match ev:
        case StopRequested(by=by):
            return _cancel_pending(replace(state, stopped_by=by or None, status_detail=""), "stopped by a person")
        case ConfirmationDecided(tool_use_id=tool_use_id, by=by):
            conf = state.confirmations.get(tool_use_id)
            if conf is None:
                return state
            conf = replace(conf, decided_by=by or None)
            return replace(state, confirmations=_put(state.confirmations, conf.tool_use_id, conf))
        case Unreadable():
            return skip(state, ev)
        case Tick():
            return state
        case Notice(id=notice_id, text=text):
            return _add_once(state, ThreadItem(key=f"notice:{notice_id}", kind=ItemKind.NOTICE, text=text))
        case UpstreamStatus(id=notice_id, text=text, resolved_at=resolved_at):
            state = replace(state, resolved_upstream_at=resolved_at)
            return _add_once(state, ThreadItem(key=f"notice:{notice_id}", kind=ItemKind.NOTICE, text=text))
        case ApprovalReminder(tool_use_id=tool_use_id, text=text, mentions=mentions):
            item = ThreadItem(key=f"reminder:{tool_use_id}", kind=ItemKind.REMINDER, text=text, mentions=mentions)
            return _add_once(state, item)


def _add_once(state: IncidentState, item: ThreadItem) -> IncidentState:
    if any(i.key == item.key for i in state.items):
        return state
    return replace(state, items=state.items + (item,))
