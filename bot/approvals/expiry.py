"""Approval deadlines: remind the approvers, then answer "rejected" when nobody decided. Silence is never consent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.approvals.result import ApprovalResult
from bot.run.events import ApprovalReminder
from bot.run.state import Approval

__all__ = ["ApprovalPolicy", "expired", "reminder", "sleep_until"]


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    remind_after: float = 600.0
    timeout: float = 1800.0
    mentions: tuple[str, ...] = ()  # approver user and group ids to ping in the reminder
    self_deny: bool = False  # the two-person rule: whoever opened the incident cannot approve its fix

    def remind_at(self, asked: datetime) -> datetime | None:
        """When to remind the approvers of a request made at `asked` (None: the timeout comes first)."""
        return asked + timedelta(seconds=self.remind_after) if self.remind_after < self.timeout else None

    def expires_at(self, asked: datetime) -> datetime:
        """When a request made at `asked` is answered "rejected"; counted from the request, so a restart keeps it."""
        return asked + timedelta(seconds=self.timeout)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min"


async def sleep_until(at: datetime) -> None:
    """Sleep until a moment (at once if it has passed)."""
    delay = (at - datetime.now(timezone.utc)).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


def reminder(approval: Approval, policy: ApprovalPolicy) -> ApprovalReminder:
    """The thread message that pings the approvers about a pending approval."""
    what = f"PR #{approval.pr_number}" if approval.pr_number is not None else "the requested action"
    return ApprovalReminder(
        tool_use_id=approval.tool_use_id,
        mentions=policy.mentions,
        text=f"Still waiting for a decision on {what}. Without one within "
        f"{_minutes(policy.timeout)} of the request it is rejected.",
    )


def expired(approval: Approval, policy: ApprovalPolicy) -> ApprovalResult:
    """The answer when nobody decided in time: rejected, by nobody, marked expired."""
    reason = f"no decision within {_minutes(policy.timeout)}"
    return ApprovalResult.now(approved=False, approver=None, reason=reason, pr=approval.pr_number, expired=True)
