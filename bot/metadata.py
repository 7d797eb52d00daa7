"""What survives a restart, typed: the session's metadata, the bot's Slack message metadata and the root record.

Each shape is built, dumped and parsed only here, with Slack's and the Managed Agents API's limits on its fields.
Building from our own values cuts each one to its field's limit; parsing is strict: a payload that is not ours,
or not exactly the shape we write, is refused whole (None), never half-read. Whether the bot wrote a message is
`bot.identity`'s question, asked by the callers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["EVENT_TYPE", "OPENING_CHARS", "ROOT_KEY", "MessageMetadata", "RootRecord", "SessionMetadata", "session_title"]

log = logging.getLogger(__name__)

EVENT_TYPE = "incident_bot"  # Slack message metadata's event_type on every message the bot posts in a thread
ROOT_KEY = "root"  # the key of an incident's root message (thread items have the renderer's keys)
SESSION_PAIRS, SESSION_KEY, SESSION_VALUE = 16, 64, 512  # the API's limits on a session's metadata
SESSION_TITLE = 80  # the API's limit on a session's title (printable characters)
OPENING_CHARS = 3000  # how much of the first message's alert part a root message keeps

SessionValue = Annotated[str, Field(max_length=SESSION_VALUE)]
M = TypeVar("M", bound="_Shape")


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    @classmethod
    def fit(cls: type[M], **values: Any) -> M:
        """Build from our own values, each string cut to its field's limit."""
        for name, value in values.items():
            limit = next((m.max_length for m in cls.model_fields[name].metadata if isinstance(m, MaxLen)), None)
            if limit is not None and isinstance(value, str):
                values[name] = value[:limit]
        return cls(**values)


def _flag(value: object) -> object:
    """A flag is the string "1" on the wire, absent when off; anything else is not ours."""
    if value == "1":
        return True
    if value is None or isinstance(value, bool):
        return bool(value)
    raise ValueError("a flag is '1' or absent")


class RootRecord(_Shape):
    """What the root message keeps so a restart can finish opening the incident, and the alert that opened it."""

    title: str = Field("", max_length=500)
    opened_by: str = Field("", max_length=200)  # a Slack user id; "" for an alerting integration
    source: str = Field("", max_length=200)
    opening: str = Field("", max_length=OPENING_CHARS)  # the first user.message's alert part
    dedupe_key: str = Field("", max_length=200)
    failed: bool = False  # the session could not be created: a restart must not try again
    alert_url: str = Field("", max_length=1000)  # the alert in its own tool (alert data: shown only if http(s))
    graph_url: str = Field("", max_length=1000)  # a graph of the alert's own expression
    resolved_at: str = Field("", max_length=40)  # ISO 8601: the alert resolved upstream; "" while it fires
    alerts_digest: str = Field("", max_length=64)  # the last grouped notification's alerts: a repeat adds nothing

    read_failed = field_validator("failed", mode="before")(_flag)

    def dump(self) -> dict[str, str]:
        """The record's fields as they stand in the root message's metadata payload."""
        out = {"title": self.title, "opened_by": self.opened_by, "source": self.source, "opening": self.opening}
        if self.dedupe_key:
            out["dedupe_key"] = self.dedupe_key
        if self.failed:
            out["failed"] = "1"
        out.update((k, v) for k, v in (("alert_url", self.alert_url), ("graph_url", self.graph_url),
                                       ("resolved_at", self.resolved_at), ("alerts_digest", self.alerts_digest)) if v)
        return out

    def links(self) -> tuple[tuple[str, str], ...]:
        """The root message's links to the alert and its graph, as (label, url)."""
        return tuple((label, url) for label, url in (("Alert", self.alert_url), ("Graph", self.graph_url)) if url)

    def resolved_time(self) -> datetime | None:
        """When the alert resolved upstream, if it did."""
        try:
            return datetime.fromisoformat(self.resolved_at) if self.resolved_at else None
        except ValueError:
            return None


class MessageMetadata(_Shape):
    """The metadata on each message the bot posts in an incident thread: its key, what it showed, its session."""

    key: str = Field(min_length=1)
    digest: str = ""  # what the message shows (publisher.digest); "" when no run has shown it yet
    session_id: str = ""  # "" on a root message posted before its session existed
    record: RootRecord | None = None  # only on the root message, where its fields stand beside the key

    def dump(self) -> dict[str, Any]:
        """Slack's `metadata` argument."""
        payload = self.record.dump() if self.record is not None and self.key == ROOT_KEY else {}
        payload.update(key=self.key, digest=self.digest, session_id=self.session_id)
        return {"event_type": EVENT_TYPE, "event_payload": payload}

    @classmethod
    def parse(cls, message: Mapping[str, Any]) -> MessageMetadata | None:
        """The bot's metadata on a Slack message, or None: none, another event type, or not our exact shape."""
        meta = message.get("metadata")
        if not isinstance(meta, Mapping) or meta.get("event_type") != EVENT_TYPE:
            return None
        payload = meta.get("event_payload")
        try:
            if not isinstance(payload, Mapping):
                raise ValueError("event_payload is not an object")
            fields = {k: payload[k] for k in ("key", "digest", "session_id") if k in payload}
            if payload.get("key") == ROOT_KEY:
                fields["record"] = RootRecord.model_validate(dict(payload))
            return cls.model_validate(fields)
        except (ValidationError, ValueError) as exc:
            log.warning("ignoring malformed %s metadata on %s: %s", EVENT_TYPE, message.get("ts"), _why(exc))
            return None


class SessionMetadata(_Shape):
    """A session's metadata: the routing table from a session to its Slack thread, and what a restart must know."""

    incident_bot: Literal["1"] = "1"
    slack_channel: SessionValue = Field(min_length=1)
    slack_thread_ts: SessionValue = Field(min_length=1)
    incident_id: SessionValue = ""
    incident_title: str = Field("", max_length=500)
    opened_by: SessionValue = ""
    source: str = Field("", max_length=200)
    stopped_by: SessionValue = ""  # who pressed Stop (written by the decision that stopped it)
    incident_closed: bool = False  # the session finished; a restart need not follow it (cleared by a follow-up)

    read_closed = field_validator("incident_closed", mode="before")(_flag)

    def dump(self) -> dict[str, str]:
        """The `metadata` argument of sessions.create."""
        out = self.model_dump(exclude={"stopped_by", "incident_closed"})
        if self.stopped_by:
            out["stopped_by"] = self.stopped_by
        if self.incident_closed:
            out["incident_closed"] = "1"
        return out

    @classmethod
    def parse(cls, metadata: Mapping[str, str] | None) -> SessionMetadata | None:
        """The metadata of one of the bot's incident sessions, or None for any other session (or a malformed one)."""
        if not metadata or metadata.get("incident_bot") != "1":
            return None
        try:
            return cls.model_validate(dict(metadata))
        except ValidationError as exc:
            log.warning("ignoring a session whose incident metadata is malformed: %s", _why(exc))
            return None


if len(SessionMetadata.model_fields) > SESSION_PAIRS or max(map(len, SessionMetadata.model_fields)) > SESSION_KEY:
    raise RuntimeError("SessionMetadata no longer fits the API's metadata limits")


def session_title(title: str) -> str:
    """A session title: printable, at most 80 characters."""
    clean = "".join(ch if ch.isprintable() else " " for ch in title).strip() or "Incident"
    return clean if len(clean) <= SESSION_TITLE else clean[: SESSION_TITLE - 1] + "…"


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
    return str(exc)
