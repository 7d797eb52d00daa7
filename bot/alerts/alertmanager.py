"""Prometheus Alertmanager: its Slack notifier's messages and its webhook (JSON version 4)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bot.alerts.labels import parse_label_lists, parse_status_title, service_from_labels, severity_word
from bot.alerts.model import Alert, make_alert, title_key
from bot.alerts.slack import SlackMessage

__all__ = ["from_slack", "parse_alertmanager_webhook"]

_FINGERPRINT = re.compile(r"\bfingerprint\W{0,5}([0-9a-f]{8,64})\b", re.I)
_GROUP_KEY = re.compile(r"\bgroup[ _]?key\W{0,5}(\{[^\n]{1,500}\}|\S{1,500})", re.I)
_MAX_WEBHOOK_ALERTS = 20


def _looks_like_alertmanager(msg: SlackMessage) -> bool:
    if "alertmanager" in msg.sender or any("/#/alerts" in link.url for link in msg.links):
        return True
    return parse_status_title(msg.headline) is not None


def from_slack(msg: SlackMessage) -> Alert | None:
    """An Alert from a slack_config notification (default title, any text template), or None."""
    if not _looks_like_alertmanager(msg):
        return None
    parsed = parse_status_title(msg.headline)
    labels, annotations = parse_label_lists(msg.body)
    labels = {**{k: v for k, v in msg.fields.items() if re.fullmatch(r"[a-z_][a-z0-9_]*", k)}, **labels}
    alertname = labels.get("alertname") or (parsed.group_values[0] if parsed and parsed.group_values else "")
    values = (parsed.group_values + parsed.common_values) if parsed else ()
    severity = labels.get("severity") or severity_word(values) or _backticked_severity(msg.body)
    fingerprint = _FINGERPRINT.search(msg.body)
    group_key = _GROUP_KEY.search(msg.body)
    if group_key:
        key = f"alertmanager:{group_key.group(1)}"
    elif fingerprint:
        key = f"alertmanager:{fingerprint.group(1).lower()}"
    elif alertname and len(labels) > 1:
        pairs = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        key = f"alertmanager:{alertname}:{title_key(pairs)}"
    else:
        key = f"alertmanager:{title_key(parsed.rest if parsed else msg.headline)}"
    link = msg.headline_link or next((link.url for link in msg.links if "/#/alerts" in link.url), "")
    payload = {
        "source": "alertmanager",
        "via": "slack",
        "status": parsed.status if parsed else "",
        "firing": parsed.count if parsed and parsed.status == "firing" else None,
        "title": msg.headline,
        "alertname": alertname,
        "labels": labels,
        "annotations": annotations,
        "fingerprint": fingerprint.group(1) if fingerprint else "",
        "url": link,
        "links": [{"url": ln.url, "label": ln.label} for ln in msg.links],
        "text": msg.full_text,
    }
    return make_alert(
        title=msg.headline or alertname,
        full_text=msg.full_text,
        source="alertmanager",
        payload=payload,
        service=service_from_labels(labels),
        severity=severity,
        source_link=link,
        dedupe_key=key,
    )


def _backticked_severity(body: str) -> str:
    m = re.search(r"`([A-Za-z]{2,12})`", body[:5_000])
    return severity_word([m.group(1)]) if m else ""


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def parse_alertmanager_webhook(body: dict[str, Any]) -> list[Alert]:
    """One Alert for the notification's group when any of its alerts fire; resolved alerts are ignored."""
    if not isinstance(body, dict):
        return []
    alerts = body.get("alerts") if isinstance(body.get("alerts"), list) else []
    firing = [a for a in alerts if isinstance(a, dict) and a.get("status") == "firing"]
    if not firing:
        return []
    group, common = _str_map(body.get("groupLabels")), _str_map(body.get("commonLabels"))
    annotations = _str_map(body.get("commonAnnotations"))
    first_labels, first_notes = _str_map(firing[0].get("labels")), _str_map(firing[0].get("annotations"))
    labels = common or first_labels
    alertname = labels.get("alertname") or group.get("alertname") or first_labels.get("alertname", "")
    # the same title as Alertmanager's default Slack and email templates
    group_values = " ".join(v for _, v in sorted(group.items())) or alertname
    extra = " ".join(v for k, v in sorted(common.items()) if k not in (group or {"alertname"}))
    title = f"[FIRING:{len(firing)}] {group_values}" + (f" ({extra})" if extra else "")
    summary = annotations.get("summary") or first_notes.get("summary", "")
    description = annotations.get("description") or first_notes.get("description", "")
    external = str(body.get("externalURL") or "")[:2000]
    receiver = str(body.get("receiver") or "")[:200]
    link = f"{external.rstrip('/')}/#/alerts?receiver={quote(receiver)}" if external else ""
    link = link or str(firing[0].get("generatorURL") or "")
    group_key = str(body.get("groupKey") or "")
    fingerprint = str(firing[0].get("fingerprint") or "")
    key = group_key or fingerprint or f"{alertname}:{title_key(str(sorted(labels.items())))}"
    lines = [title, summary, description]
    for alert in firing[:_MAX_WEBHOOK_ALERTS]:
        pairs = ", ".join(f"{k}={v}" for k, v in sorted(_str_map(alert.get("labels")).items()))
        lines.append(f"- since {alert.get('startsAt', '?')}: {pairs}")
    payload = {
        "source": "alertmanager",
        "via": "webhook",
        "receiver": receiver,
        "status": body.get("status"),
        "groupKey": group_key,
        "groupLabels": group,
        "commonLabels": common,
        "commonAnnotations": annotations,
        "externalURL": external,
        "firing": len(firing),
        "truncatedAlerts": body.get("truncatedAlerts", 0),
        "alerts": firing[:_MAX_WEBHOOK_ALERTS],
    }
    return [
        make_alert(
            title=title,
            full_text="\n".join(line for line in lines if line),
            source="alertmanager",
            payload=payload,
            service=service_from_labels(labels),
            severity=labels.get("severity", ""),
            source_link=link,
            dedupe_key=f"alertmanager:{key}",
        )
    ]
