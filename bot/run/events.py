"""What the reducer folds: the SDK's typed session events, and the bot's own local events (`bot.*`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeAlias

from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent, BetaManagedAgentsStreamSessionEvents

__all__ = [
    "ApprovalReminder",
    "ConfirmationDecided",
    "Event",
    "LocalEvent",
    "Notice",
    "SessionEvent",
    "StopRequested",
    "Tick",
    "Unreadable",
    "UpstreamStatus",
    "is_queued",
]

# The SDK builds a model for every event, one of a type it does not know too (a model whose `type` is that type),
# so the reducer matches on `type`, never on the class.
SessionEvent: TypeAlias = BetaManagedAgentsSessionEvent | BetaManagedAgentsStreamSessionEvents


@dataclass(frozen=True, slots=True)
class StopRequested:
    """A person pressed Stop (the API's user.interrupt does not say who)."""

    type: ClassVar[str] = "bot.stop_requested"
    by: str | None


@dataclass(frozen=True, slots=True)
class ConfirmationDecided:
    """Who allowed or denied a held tool call (the API's user.tool_confirmation does not say)."""

    type: ClassVar[str] = "bot.confirmation_decided"
    tool_use_id: str
    by: str


@dataclass(frozen=True, slots=True)
class ApprovalReminder:
    """The bot reminded the approvers of a pending approval."""

    type: ClassVar[str] = "bot.approval_reminder"
    tool_use_id: str
    text: str
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Notice:
    """A note from the bot itself (e.g. another alert joined this incident); `id` makes it once only."""

    type: ClassVar[str] = "bot.notice"
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class UpstreamStatus:
    """The incident's alert resolved (or fired again) in its own tool; `id` makes its note once only."""

    type: ClassVar[str] = "bot.upstream_status"
    id: str
    text: str
    resolved_at: datetime | None  # None: firing again


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passes (the root message's elapsed time); nothing else changes."""

    type: ClassVar[str] = "bot.tick"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Stands in, under its id, for an event the bot could not read."""

    type: ClassVar[str] = "bot.unreadable"
    id: str
    event_type: str
    name: str = ""
    processed_at: datetime | None = None


LocalEvent: TypeAlias = StopRequested | ConfirmationDecided | ApprovalReminder | Notice | Tick | Unreadable | UpstreamStatus
Event: TypeAlias = SessionEvent | LocalEvent


def is_queued(event: Any) -> bool:
    """A user event echoed before a turn took it up (the same id comes again, processed)."""
    return str(getattr(event, "type", "")).startswith("user.") and getattr(event, "processed_at", None) is None
