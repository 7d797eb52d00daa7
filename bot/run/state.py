"""The incident's state as the reducer builds it from session events: frozen data, never mutated in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Mapping

from blocks.views import Decision, ErrorView, IncidentStatus, Outcome

from bot.words import ItemKind, Verdict

__all__ = [
    "Approval",
    "Confirmation",
    "IncidentState",
    "PullRequest",
    "ThreadItem",
    "ToolCall",
]

EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A built-in or custom tool call and, once known, its result."""

    id: str
    name: str
    input: Mapping[str, object]
    custom: bool
    permission: str | None = None  # evaluated_permission of a built-in tool call
    result: str | None = None
    is_error: bool = False
    at: datetime | None = None  # when the agent made the call (processed_at)
    unreadable: bool = False  # the bot could not read the call's event: it answers with an error

    @property
    def answered(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A PR the agent opened through open_pull_request, as its answer recorded it."""

    number: int
    title: str
    body: str
    diff: str  # as the PR store holds it (from the answer), never the agent's own text
    url: str | None
    diff_sha256: str
    tool_use_id: str
    merged: bool = False
    diff_read: bool = False  # the answer carried the store's diff, and diff_sha256 is its hash
    notes: tuple[str, ...] = ()  # what the approval card calls out in the diff, in words


@dataclass(frozen=True, slots=True)
class Approval:
    """A request_approval call and its decision, if any."""

    tool_use_id: str
    summary: str
    pr_number: int | None
    decision: Decision | None = None
    diff_sha256: str = ""  # what the decision covers
    note: str = ""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A built-in tool call held for confirmation (evaluated_permission "ask")."""

    tool_use_id: str
    tool_name: str
    tool_input: Mapping[str, object]
    result: str | None = None  # "allow" | "deny"
    deny_message: str = ""
    decided_by: str | None = None
    note: str = ""

    @property
    def outcome(self) -> Outcome | None:
        """Allowed or denied, once the session says so."""
        if self.result is None:
            return None
        return Outcome.ALLOWED if self.result == Verdict.ALLOW else Outcome.DENIED


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """One message in the incident thread, in thread order; `key` is stable across restarts."""

    key: str
    kind: ItemKind
    text: str = ""  # message / notice text
    step_ids: tuple[str, ...] = ()  # progress: tool call ids in order
    ref: str = ""  # approval / confirmation: the tool-use id
    error: ErrorView | None = None
    broadcast: bool = False
    mentions: tuple[str, ...] = ()  # reminder: approver user / group ids to ping


@dataclass(frozen=True, slots=True)
class IncidentState:
    """Everything the renderer and the bot's gates need to know about one incident."""

    session_id: str
    title: str
    started_at: datetime
    opened_by: str | None = None
    source: str = "slash command"
    status: IncidentStatus = IncidentStatus.OPENING
    status_detail: str = ""
    stop_reason: str | None = None
    pending_ids: tuple[str, ...] = ()  # event ids of the last requires_action
    items: tuple[ThreadItem, ...] = ()
    tools: Mapping[str, ToolCall] = field(default_factory=lambda: EMPTY)
    prs: Mapping[int, PullRequest] = field(default_factory=lambda: EMPTY)
    approvals: Mapping[str, Approval] = field(default_factory=lambda: EMPTY)
    confirmations: Mapping[str, Confirmation] = field(default_factory=lambda: EMPTY)
    root_cause: str = ""
    last_message: str = ""
    stopped_by: str | None = None
    updated_at: datetime | None = None
    event_count: int = 0
    unknown_types: frozenset[str] = frozenset()
    queued_messages: frozenset[str] = frozenset()  # user.message ids sent but not yet taken up by a turn
    spent_cents: int | None = None  # the session's list cost so far (session.usage), None until known
    budget_cents: int | None = None  # the session's spend ceiling, None for none (or not known yet)
    links: tuple[tuple[str, str], ...] = ()  # (label, url): the alert in its own tool, its graph (from the root record)
    resolved_upstream_at: datetime | None = None  # the alert resolved in its own tool (it does not stop the agent)

    @property
    def finished(self) -> bool:
        """True when the session can produce nothing more without new input from us."""
        if self.status is IncidentStatus.TERMINATED:
            return True
        if self.queued_messages:
            return False
        ended = self.status in (IncidentStatus.IDLE, IncidentStatus.FAILED, IncidentStatus.STOPPED)
        # After a stop, calls the interrupted turn left unanswered no longer hold the incident open.
        return ended and (self.stopped_by is not None or not any(not t.answered for t in self.tools.values() if t.custom))

    @property
    def stoppable(self) -> bool:
        """The agent can still act, so a Stop button makes sense."""
        live = (IncidentStatus.OPENING, IncidentStatus.RUNNING, IncidentStatus.WAITING, IncidentStatus.RESCHEDULING)
        return bool(self.session_id) and self.status in live and self.stopped_by is None

    @property
    def latest_pr(self) -> PullRequest | None:
        return self.prs[max(self.prs)] if self.prs else None

    def unanswered_custom_calls(self) -> list[ToolCall]:
        """Custom tool calls that still need an answer from the bot or a person, in call order."""
        return [t for t in self.tools.values() if t.custom and not t.answered]

    def pending_approvals(self) -> list[Approval]:
        """Approvals still waiting for a person: undecided, unanswered, not cancelled, and the session going on."""
        if self.finished:
            return []
        calls = self.tools
        return [a for a in self.approvals.values() if a.decision is None and not a.note
                and a.tool_use_id in calls and not calls[a.tool_use_id].answered]  # fmt: skip

    def pending_confirmations(self) -> list[Confirmation]:
        """Held built-in tool calls still waiting for Allow or Deny."""
        if self.finished:
            return []
        return [c for c in self.confirmations.values() if c.result is None and not c.note]

    def approval_for(self, pr_number: int) -> Approval | None:
        """The latest decided approval covering a PR."""
        decided = [a for a in self.approvals.values() if a.pr_number == pr_number and a.decision is not None]
        return decided[-1] if decided else None
