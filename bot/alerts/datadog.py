"""Datadog monitor notifications posted to Slack by the Datadog app."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from bot.alerts.model import Alert, make_alert, title_key
from bot.alerts.slack import SlackMessage

__all__ = ["from_slack"]

_HOST = re.compile(r"^https?://[^/]{0,300}(datadoghq\.(com|eu)|ddog-gov\.com|datadog\.com)(/|$)")
_MONITOR_URL = re.compile(r"/monitors/(\d{1,20})")
_MONITOR_TEXT = re.compile(r"(?:#|\bmonitor(?:\s{1,5}id)?\W{0,3})(\d{4,20})\b", re.I)
_PRIORITY = re.compile(r"\[(P[1-5])\]")
_STATE = re.compile(
    r"^\W{0,20}(?:\[P[1-5]\]\s{0,5})?\[?(Re-?Triggered|Triggered|Recovered|Warn(?:ing)?|Alert|No Data|Re-?notify)\b", re.I
)
_SCOPE_BRACES = re.compile(r"\bon\s{1,5}\{([^}]{1,1000})\}")
_SCOPE_TAG = re.compile(r"[\w.\-/]{1,100}:[^\s,]{1,200}")
_TAG = re.compile(r"([A-Za-z][\w.\-/]{0,99}):([^\s,]{1,200})")
_TAGS_LINE = re.compile(r"^[^\w\n]{0,20}tags[^\w\n]{0,20}[:=]\s{0,20}([^\n]+)", re.I | re.M)  # within a line
_STATES = {"triggered": "alert", "re-triggered": "alert", "retriggered": "alert", "alert": "alert", "renotify": "alert",
           "re-notify": "alert", "warn": "warning", "warning": "warning", "no data": "no data", "recovered": "recovered"}  # fmt: skip


def _looks_like_datadog(msg: SlackMessage) -> bool:
    return "datadog" in msg.sender or any(_HOST.match(link.url) for link in msg.links)


def _scope(headline: str) -> str:
    """`… on {env:prod,service:x}` or a title ending `… on env:prod,service:x`: the scope's tags."""
    braces = _SCOPE_BRACES.search(headline)
    if braces:
        return braces.group(1)
    at = headline.rfind(" on ")
    parts = [p.strip() for p in headline[at + 4 :].split(",")] if at >= 0 else []
    return ",".join(parts) if parts and all(_SCOPE_TAG.fullmatch(p) for p in parts) else ""


def _tags(text: str) -> dict[str, str]:
    return {k.lower(): v for k, v in _TAG.findall(text[:5_000])}


def from_slack(msg: SlackMessage) -> Alert | None:
    """An Alert from a Datadog monitor notification, or None when the message is not one."""
    if not _looks_like_datadog(msg):
        return None
    monitor_link = next((ln.url for ln in msg.links if _HOST.match(ln.url) and _MONITOR_URL.search(ln.url)), "")
    url_id = _MONITOR_URL.search(monitor_link)
    text_id = _MONITOR_TEXT.search(msg.body[:20_000])
    monitor_id = url_id.group(1) if url_id else text_id.group(1) if text_id else ""
    scope_text = _scope(msg.headline)
    if not scope_text and monitor_link:
        scope_text = (parse_qs(urlsplit(monitor_link).query).get("group") or [""])[0]
    scope = _tags(scope_text)
    tags = {**_tags(" ".join(_TAGS_LINE.findall(msg.body))), **_tags(msg.fields.get("tags", "")), **scope}
    priority = _PRIORITY.search(msg.headline)
    state = _STATE.match(msg.headline)
    state_word = _STATES.get(state.group(1).lower(), state.group(1).lower()) if state else ""
    scope_key = ",".join(f"{k}:{v}" for k, v in sorted(scope.items()))
    if monitor_id:
        key = f"datadog:{monitor_id}" + (f":{scope_key}" if scope_key else "")
    else:
        key = f"datadog:{title_key(_STATE.sub('', _PRIORITY.sub('', msg.headline), count=1))}"
    payload = {
        "source": "datadog",
        "via": "slack",
        "title": msg.headline,
        "state": state_word,
        "priority": priority.group(1) if priority else "",
        "monitor_id": monitor_id,
        "scope": scope,
        "tags": tags,
        "url": monitor_link or msg.headline_link,
        "links": [{"url": ln.url, "label": ln.label} for ln in msg.links],
        "text": msg.full_text,
    }
    return make_alert(
        title=msg.headline,
        full_text=msg.full_text,
        source="datadog",
        payload=payload,
        service=tags.get("service", ""),
        severity=priority.group(1) if priority else state_word,
        source_link=monitor_link or msg.headline_link,
        dedupe_key=key,
    )
