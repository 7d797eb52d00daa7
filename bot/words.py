"""The bot's domain words as types. Words the Block Kit builders draw live in `blocks/` (IncidentStatus, Outcome)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuditAction", "ItemKind", "ToolName", "Verdict"]


class ToolName(StrEnum):
    """The custom tools the bot answers (CONTRACT.md)."""

    GET_METRICS = "get_metrics"
    GET_RECENT_DEPLOYS = "get_recent_deploys"
    GET_DIFF = "get_diff"
    OPEN_PULL_REQUEST = "open_pull_request"
    REQUEST_APPROVAL = "request_approval"
    MERGE_PULL_REQUEST = "merge_pull_request"
    QUERY_PROMETHEUS = "query_prometheus"
    QUERY_LOGS = "query_logs"


class ItemKind(StrEnum):
    """What one message in the incident thread shows."""

    MESSAGE = "message"
    PROGRESS = "progress"
    APPROVAL = "approval"
    CONFIRMATION = "confirmation"
    ERROR = "error"
    NOTICE = "notice"
    REMINDER = "reminder"


class Verdict(StrEnum):
    """A user.tool_confirmation's result, as the API spells it."""

    ALLOW = "allow"
    DENY = "deny"


class AuditAction(StrEnum):
    """Audit trail actions besides the decisions themselves (those are `blocks.views.Outcome`s)."""

    STOPPED = "stopped"
    MERGED = "merged"
    MERGE_REFUSED = "merge_refused"
    SLACK_REFUSED = "slack_refused"  # Slack refused a thread message for good: shown as plain text, or skipped
