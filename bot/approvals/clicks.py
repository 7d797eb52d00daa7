"""A click as the approval gate reads it: who pressed which button, with which payload, where, and why."""

from __future__ import annotations

from dataclasses import dataclass

from blocks.ids import ActionId, ButtonValue

__all__ = ["Click"]


@dataclass(frozen=True, slots=True)
class Click:
    """Who clicked what, and where; `reason` comes from the Reject or Deny dialog."""

    user_id: str
    action: ActionId
    value: ButtonValue
    channel: str
    message_ts: str
    thread_ts: str | None = None
    reason: str = ""
