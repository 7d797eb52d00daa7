"""The answer to a request_approval call: written by the gate, read back by the reducer, through one model."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_serializer

from blocks.views import Outcome
from bot.run.values import pr_number

__all__ = ["ApprovalResult"]

PrNumber = Annotated[int | None, BeforeValidator(pr_number)]  # whatever was written: never fails the whole result


class ApprovalResult(BaseModel):
    """The user.custom_tool_result JSON for request_approval (CONTRACT.md: decision, approver, reason; the bot adds
    pr_number and diff_sha256, what the decision covers, decided_at, expired when nobody decided in time, and stopped
    when a person stopped the incident while it waited)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    decision: Literal[Outcome.APPROVED, Outcome.REJECTED]
    approver: str | None = None
    reason: str = ""
    pr_number: PrNumber = None
    diff_sha256: str = ""
    decided_at: datetime | None = None
    expired: bool = False
    stopped: bool = False

    @classmethod
    def now(cls, *, approved: bool, approver: str | None, reason: str, pr: int | None, diff_sha256: str = "",
            expired: bool = False, stopped: bool = False) -> ApprovalResult:  # fmt: skip
        """A decision taken now."""
        decision = Outcome.APPROVED if approved else Outcome.REJECTED
        return cls(decision=decision, approver=approver, reason=reason, pr_number=pr, diff_sha256=diff_sha256,
                   decided_at=datetime.now(timezone.utc), expired=expired, stopped=stopped)  # fmt: skip

    @property
    def outcome(self) -> Outcome:
        """What the card shows: an expired request reads as expired, though the agent is told "rejected"."""
        return Outcome.EXPIRED if self.expired else self.decision

    @field_serializer("decided_at")
    def _iso(self, value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    def dump(self) -> str:
        """The result text sent to the session (`expired` and `stopped` only when true)."""
        unset = {flag for flag in ("expired", "stopped") if not getattr(self, flag)}
        return json.dumps(self.model_dump(mode="json", exclude=unset or None))

    @classmethod
    def read(cls, text: str) -> ApprovalResult | None:
        """The result in a request_approval answer, or None when it is not one (an error text, say)."""
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            return None
