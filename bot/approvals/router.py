"""Clicks to gates: only approvers get through, to the gate of the incident the button names."""

from __future__ import annotations

from collections.abc import Callable

from blocks.ids import ActionId
from bot.approvals.approvers import Approvers
from bot.approvals.clicks import Click
from bot.approvals.gate import ApprovalGate

__all__ = ["ClickRouter"]


class ClickRouter:
    """Checks who clicked, finds the incident's gate, and returns its answer: None, or why nothing was sent."""

    def __init__(self, approvers: Approvers, gate_of: Callable[[str], ApprovalGate | None]) -> None:
        self.approvers = approvers
        self._gate_of = gate_of  # session id -> the gate of the incident this bot follows, if any

    async def decide(self, click: Click) -> str | None:
        """Approve, Reject, Allow, Deny or Stop."""
        stop = click.action is ActionId.STOP
        if not await self.approvers.allows(click.user_id):
            verb = "stop the agent" if stop else "decide this"
            return f"Only approvers can {verb} ({self.approvers.describe()}). Nothing was sent."
        gate = self._gate_of(click.value.session_id)
        if gate is None:
            if stop:
                return "This Stop button does not belong to an incident this bot is following. Nothing was sent."
            return "This button belongs to an incident this bot is not following (unknown or finished)."
        match click.action:
            case ActionId.APPROVE | ActionId.REJECT:
                return await gate.approve(click)
            case ActionId.ALLOW | ActionId.DENY:
                return await gate.confirm(click)
            case ActionId.STOP:
                return await gate.stop(click)
