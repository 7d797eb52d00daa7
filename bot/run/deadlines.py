"""Approval deadlines: remind the approvers, then answer "rejected" when nobody decided. Silence is never consent."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from bot.tools.base import ToolAnswer

if TYPE_CHECKING:
    from bot.run.incident import IncidentRun

__all__ = ["ApprovalPolicy", "watch_approval"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    remind_after: float = 600.0
    timeout: float = 1800.0
    mentions: tuple[str, ...] = ()  # approver user and group ids to ping in the reminder


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min"


async def _sleep_until(at: datetime) -> None:
    delay = (at - datetime.now(timezone.utc)).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


def _pending(run: IncidentRun, tool_id: str) -> bool:
    call = run.state.tools.get(tool_id)
    approval = run.state.approvals.get(tool_id)
    if call is None or approval is None or approval.note:  # cancelled by a stop or the session's end
        return False
    return not call.answered and tool_id not in run.decided and not run.state.finished


async def watch_approval(run: IncidentRun, tool_id: str, policy: ApprovalPolicy) -> None:
    """Timers for one pending approval, counted from when the agent asked (so a restart keeps the clock)."""
    call = run.state.tools[tool_id]
    asked = call.at or datetime.now(timezone.utc)
    if policy.remind_after < policy.timeout:
        await _sleep_until(asked + timedelta(seconds=policy.remind_after))
        if not _pending(run, tool_id):
            return
        pr = run.state.approvals[tool_id].pr_number
        what = f"PR #{pr}" if pr is not None else "the proposed fix"
        await run.apply(
            {
                "type": "bot.approval_reminder",
                "tool_use_id": tool_id,
                "mentions": list(policy.mentions),
                "text": f"Still waiting for a decision on {what}. Without one within "
                f"{_minutes(policy.timeout)} of the request it is rejected.",
            }
        )
    await _sleep_until(asked + timedelta(seconds=policy.timeout))
    async with run.decision_lock:
        if not _pending(run, tool_id):
            return
        approval = run.state.approvals[tool_id]
        result = {
            "decision": "rejected",
            "approver": None,
            "reason": f"no decision within {_minutes(policy.timeout)}",
            "pr_number": approval.pr_number,
            "diff_sha256": "",
            "decided_at": datetime.now(timezone.utc).isoformat(),
            "expired": True,
        }
        run.decided[tool_id] = "timeout"
        await run.send_result(tool_id, ToolAnswer(json.dumps(result)))
        await run.record("expired", who=None, tool_use_id=tool_id, pr_number=approval.pr_number, outcome=result["reason"])
        run.log.info("approval %s expired after %s", tool_id, _minutes(policy.timeout))
