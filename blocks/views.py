"""View models: what the Block Kit builders draw. Plain frozen data, filled by the bot's reducer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "ApprovalState",
    "ApprovalView",
    "ConfirmationState",
    "ConfirmationView",
    "Decision",
    "ErrorView",
    "IncidentStatus",
    "IncidentView",
    "Outcome",
    "ProgressView",
    "StepState",
    "StepView",
]


class IncidentStatus(StrEnum):
    OPENING = "opening"
    RUNNING = "running"
    WAITING = "waiting"  # idle, requires_action: a human or the bot must answer
    IDLE = "idle"  # idle, end_turn: the agent finished its turn
    RESCHEDULING = "rescheduling"
    STOPPED = "stopped"  # interrupted by a person
    FAILED = "failed"  # retries exhausted, budget reached, refusal, terminal error
    TERMINATED = "terminated"


class Outcome(StrEnum):
    """How a pending approval or confirmation ended."""

    APPROVED = "approved"
    REJECTED = "rejected"
    ALLOWED = "allowed"
    DENIED = "denied"
    EXPIRED = "expired"  # no decision in time: answered as rejected
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Decision:
    """Who decided a pending approval or confirmation, and how."""

    outcome: Outcome
    by: str | None  # Slack user id, None when the bot decided (timeout, session ended)
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IncidentView:
    """The incident's root message in ONCALL_CHANNEL."""

    title: str
    opened_by: str | None  # Slack user id, None when an integration opened it
    status: IncidentStatus
    started_at: datetime
    session_id: str | None = None
    console_url: str | None = None
    source: str = "slash command"  # "slash command" | "alert channel" | "webhook" | ...
    current_step: str = ""
    root_cause: str = ""
    pr_number: int | None = None
    pr_url: str | None = None
    decision: Decision | None = None
    status_detail: str = ""  # e.g. the stop reason or error message
    final_summary: str = ""
    updated_at: datetime | None = None
    stoppable: bool = False  # show a Stop button (approvers only) while the agent can still act
    stopped_by: str | None = None
    spend: str = ""  # what the session has cost at list price, e.g. "$0.42 of $25.00"
    links: tuple[tuple[str, str], ...] = ()  # (label, url) from the alert: untrusted, linked only if plain http(s)
    resolved_upstream_at: datetime | None = None  # the alert resolved in its own tool


class StepState(StrEnum):
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    WAITING = "waiting"  # a custom tool call waiting for an answer


@dataclass(frozen=True, slots=True)
class StepView:
    """One tool call in a progress message."""

    tool: str  # "bash", "read", "get_metrics", ...
    summary: str  # a short one-line description of the input, agent-written (must be escaped when drawn)
    state: StepState
    custom: bool = False  # a custom tool answered by the bot
    result_preview: str = ""  # first line(s) of the result, agent/tool text


@dataclass(frozen=True, slots=True)
class ProgressView:
    """The run of tool calls between two agent messages, shown as one message updated in place."""

    steps: tuple[StepView, ...]
    done: bool = False


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"  # no decision in time: answered as rejected
    CANCELLED = "cancelled"  # the session ended or was stopped before a decision


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """A request_approval card: summary, PR, diff preview and Approve/Reject while pending."""

    session_id: str
    tool_use_id: str
    summary: str  # agent-written
    state: ApprovalState
    pr_number: int | None = None
    pr_title: str = ""
    pr_url: str | None = None
    diff: str = ""  # the PR's unified diff as the PR store holds it
    diff_sha256: str = ""
    decision: Decision | None = None
    note: str = ""  # why a card ended without a human decision
    diff_file: str = ""  # the thread's file with the whole diff, when the preview cannot show all of it
    diff_ready: bool = True  # False: the PR's diff has not been read back from the PR store, so no buttons
    diff_notes: tuple[str, ...] = ()  # what an approver must look at closely in the diff, in words (names agent paths)


class ConfirmationState(StrEnum):
    PENDING = "pending"
    ALLOWED = "allowed"
    DENIED = "denied"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ConfirmationView:
    """A built-in tool call held by the platform (evaluated_permission "ask"): Allow/Deny while pending."""

    session_id: str
    tool_use_id: str
    tool_name: str
    tool_input: dict = field(default_factory=dict)
    state: ConfirmationState = ConfirmationState.PENDING
    decision: Decision | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ErrorView:
    """A session.error shown in the thread."""

    error_type: str
    message: str
    retry_status: str | None = None  # "retrying" | "exhausted" | "terminal"
