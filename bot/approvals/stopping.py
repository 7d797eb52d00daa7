"""What a stopped incident answers: every call the agent waits on, so that no session is left idle on an answer
(nothing says the service acts on a user.interrupt sent to a session idle on requires_action)."""

from __future__ import annotations

from blocks.views import IncidentStatus
from bot.approvals.result import ApprovalResult
from bot.run.state import Approval, Confirmation, IncidentState, ToolCall
from bot.tools.base import ToolAnswer, error
from bot.words import Verdict

__all__ = ["SETTLE_SECONDS", "call_refused", "denial", "pending_after_stop", "stopped_approval"]

SETTLE_SECONDS = 10.0  # how long a stop lets the bot's own tool answers in progress finish (a merge, say)
# While the session may still act on an answer: once the interrupted turn has ended, its calls need none.
_LIVE = (IncidentStatus.OPENING, IncidentStatus.RUNNING, IncidentStatus.WAITING, IncidentStatus.RESCHEDULING)


def pending_after_stop(state: IncidentState, answered: set[str]) -> tuple[list[ToolCall], list[Confirmation]]:
    """The custom calls and held tool calls a stopped incident has still to answer (none once the session is idle
    for good); `answered` names those already answered whose echo has not come back yet."""
    if state.stopped_by is None or state.status not in _LIVE:
        return [], []
    calls = [t for t in state.unanswered_custom_calls() if t.id not in answered]
    held = [c for c in state.confirmations.values() if c.result is None and c.tool_use_id not in answered]
    return calls, held


def stopped_approval(approval: Approval | None, by: str) -> ApprovalResult:
    """A request_approval answered by a stop: rejected, by whoever stopped the incident."""
    return ApprovalResult.now(approved=False, approver=by, reason=f"stopped by <@{by}>",
                              pr=approval.pr_number if approval else None, stopped=True)  # fmt: skip


def call_refused(call: ToolCall, by: str) -> ToolAnswer:
    """Any other custom call answered by a stop."""
    return error(f"the incident was stopped by <@{by}> before this {call.name} call was answered: do nothing more")


def denial(held: Confirmation, by: str) -> dict:
    """The user.tool_confirmation denying a held tool call because of a stop ("[U…] …" says who, to the reducer)."""
    return {"type": "user.tool_confirmation", "tool_use_id": held.tool_use_id, "result": Verdict.DENY,
            "deny_message": f"[{by}] the incident was stopped by <@{by}>"}
