"""The normalised alert, and the small helpers every source uses to build one."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.secrets import redact

__all__ = ["Alert", "MAX_ALERT_TEXT", "MAX_LINK", "MAX_TITLE", "bounded", "clip_title", "http_link", "make_alert",
           "parse_instant", "title_key"]  # fmt: skip

MAX_ALERT_TEXT = 20_000
MAX_TITLE = 150
MAX_LINK = 1000
_LINK = re.compile(r"https?://[^\s<>|\x00-\x1f\x7f]+", re.IGNORECASE)
_MAX_STRING, _MAX_ITEMS, _MAX_DEPTH = 2_000, 50, 6
_MAX_MEMBERS = 1_000


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert, whatever sent it: what the incident is opened with and what the agent is shown."""

    title: str
    text: str
    source: str  # "text", "pagerduty", "alertmanager", "datadog" or "grafana"
    payload: dict[str, Any] | None = None
    original_size: int = 0
    service: str = ""
    severity: str = ""  # the source's own word: P1, critical, high, warning…
    source_link: str = ""  # where a person sees the alert in its own tool
    dedupe_key: str = ""  # "<source>:<the integration's own key>", or "<source>:<hash of the title>"
    graph_link: str = ""  # a graph of the alert's own expression (an Alertmanager alert's generatorURL)
    members: tuple[str, ...] = ()  # each alert of a grouped notification and its status: what a repeat adds
    started_at: datetime | None = None  # when the (earliest) alert started firing, if the source says
    resolved_at: datetime | None = None  # when a resolved alert ended, if the source says

    @property
    def truncated(self) -> bool:
        """Whether the text was cut to MAX_ALERT_TEXT."""
        return self.original_size > len(self.text)

    @property
    def resolved(self) -> bool:
        """The source says the alert is over (a resolved notification), not that it fires."""
        return isinstance(self.payload, dict) and self.payload.get("status") == "resolved"


def http_link(url: object) -> str:
    """The URL when it is a plain http(s) link of at most MAX_LINK characters, else "" (alert data is untrusted)."""
    text = url.strip() if isinstance(url, str) else ""
    return text if len(text) <= MAX_LINK and _LINK.fullmatch(text) else ""


def parse_instant(stamp: object) -> datetime | None:
    """An RFC 3339 time (Alertmanager's startsAt/endsAt) as aware UTC, or None (also for Go's zero time)."""
    if not isinstance(stamp, str) or not stamp or stamp.startswith("0001-"):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", stamp.strip()).replace("Z", "+00:00")  # nanoseconds: Python takes 6 digits
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def clip_title(title: str) -> str:
    """A one-line title of at most MAX_TITLE characters, redacted before it is cut (it is shown in Slack)."""
    title = redact(title)
    title = " ".join(title.split()) if "\n" in title or "\r" in title else title.strip()
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def title_key(title: str) -> str:
    """A stable short hash of a title, insensitive to case, spacing and surrounding punctuation."""
    norm = re.sub(r"\s+", " ", title.casefold()).strip(" \t*_`.:;,-–—!?")
    return hashlib.sha256(norm.encode("utf-8", "replace")).hexdigest()[:16]


def bounded(value: Any, depth: int = 0) -> Any:
    """The same JSON-like value with long strings, long lists, many keys and deep nesting cut short."""
    if isinstance(value, str):
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= _MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        return {str(k)[:200]: bounded(v, depth + 1) for k, v in items[: _MAX_ITEMS * 2]}
    if isinstance(value, (list, tuple)):
        return [bounded(v, depth + 1) for v in list(value)[:_MAX_ITEMS]]
    return bounded(str(value), depth)


def make_alert(
    *,
    title: str,
    full_text: str,
    source: str,
    payload: dict[str, Any] | None = None,
    service: str = "",
    severity: str = "",
    source_link: str = "",
    dedupe_key: str = "",
    graph_link: str = "",
    members: tuple[str, ...] = (),
    started_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> Alert:
    """An Alert with text cut to MAX_ALERT_TEXT, a short title, a bounded payload, and a title hash if no key is known."""
    text = full_text[:MAX_ALERT_TEXT] or "(an alert with no readable text)"
    title = clip_title(title) or "Alert"
    shown = bounded(payload) if payload is not None else None
    if shown is not None and "text" in shown:
        shown["text"] = text  # the agent sees the payload instead of the text: give it all of the text it may see
    return Alert(
        title=title,
        text=text,
        source=source,
        payload=shown,
        original_size=len(full_text),
        service=" ".join(service.split())[:200],
        severity=" ".join(severity.split())[:50],
        source_link=http_link(source_link),
        dedupe_key=dedupe_key[:500] or f"{source}:{title_key(title)}",
        graph_link=http_link(graph_link),
        members=tuple(m[:300] for m in members[:_MAX_MEMBERS]),
        started_at=started_at,
        resolved_at=resolved_at,
    )
