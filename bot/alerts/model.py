"""The normalised alert, and the small helpers every source uses to build one."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from bot.secrets import redact

__all__ = ["Alert", "MAX_ALERT_TEXT", "MAX_TITLE", "bounded", "clip_title", "make_alert", "title_key"]

MAX_ALERT_TEXT = 20_000
MAX_TITLE = 150
_MAX_STRING, _MAX_ITEMS, _MAX_DEPTH = 2_000, 50, 6


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

    @property
    def truncated(self) -> bool:
        """Whether the text was cut to MAX_ALERT_TEXT."""
        return self.original_size > len(self.text)


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
        source_link=source_link.strip()[:2000],
        dedupe_key=dedupe_key[:500] or f"{source}:{title_key(title)}",
    )
