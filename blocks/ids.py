"""Action ids and the small, versioned payload a button carries, so a click needs no local state."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ActionId", "CallbackId", "ButtonValue", "InvalidButtonValue", "decode_button_value", "encode_button_value"]


class ActionId(StrEnum):
    APPROVE = "incident_approve"
    REJECT = "incident_reject"
    ALLOW = "incident_tool_allow"
    DENY = "incident_tool_deny"
    STOP = "incident_stop"


class CallbackId(StrEnum):
    """Modal callback ids."""

    REJECT_REASON = "incident_reject_reason"
    DENY_REASON = "incident_deny_reason"


class ButtonValue(BaseModel):
    """What a click needs: which session and which pending tool call it answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = Field(1, ge=1, le=1)
    session_id: str = Field(min_length=1, max_length=128)
    tool_use_id: str = Field(min_length=1, max_length=128)
    pr_number: int | None = None
    diff_sha256: str = Field("", max_length=64)


class InvalidButtonValue(ValueError):
    """A button value that is not one of ours (forged, truncated, or from another version)."""


def encode_button_value(value: ButtonValue) -> str:
    """Serialise a button value (well under Slack's 2,000-character limit)."""
    return value.model_dump_json(exclude_defaults=False)


def decode_button_value(raw: str) -> ButtonValue:
    """Parse a button value from a click, refusing anything that is not ours."""
    try:
        return ButtonValue.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidButtonValue(str(exc)) from exc
