"""Prometheus Alertmanager: its Slack notifier's messages and its webhook (JSON version 4)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bot.alerts.labels import parse_label_lists, parse_status_title, service_from_labels, severity_word
from bot.alerts.model import Alert, http_link, make_alert, parse_instant, title_key
from bot.alerts.slack import SlackMessage

__all__ = ["from_slack", "parse_alertmanager_webhook"]

_FINGERPRINT = re.compile(r"\bfingerprint\W{0,5}([0-9a-f]{8,64})\b", re.I)
_GROUP_KEY = re.compile(r"\bgroup[ _]?key\W{0,5}(\{[^\n]{1,500}\}|\S{1,500})", re.I)
_MAX_WEBHOOK_ALERTS = 20  # in the alert's text
_MAX_LISTED = 50  # in the payload the agent reads (the payload's own bound)


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
        graph_link=next((ln.url for ln in msg.links if "g0.expr=" in ln.url), ""),
    )


def _backticked_severity(body: str) -> str:
    m = re.search(r"`([A-Za-z]{2,12})`", body[:5_000])
    return severity_word([m.group(1)]) if m else ""


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _member(alert: dict[str, Any]) -> str:
    """One alert of a group, as a repeat would show it unchanged: its identity, status and start."""
    identity = str(alert.get("fingerprint") or "") or title_key(str(sorted(_str_map(alert.get("labels")).items())))
    return f"{identity}:{alert.get('status')}:{alert.get('startsAt', '')}"


def _compact(alert: dict[str, Any], common: dict[str, str], notes: dict[str, str], graph: str) -> dict[str, Any]:
    """One alert for the agent: only what it does not share with the group (the group's part is said once)."""
    labels = {k: v for k, v in _str_map(alert.get("labels")).items() if common.get(k) != v}
    out: dict[str, Any] = {"status": str(alert.get("status", "")), "labels": labels}
    annotations = {k: v for k, v in _str_map(alert.get("annotations")).items() if notes.get(k) != v}
    if annotations:
        out["annotations"] = annotations
    out["startsAt"] = str(alert.get("startsAt", ""))
    if alert.get("status") == "resolved":
        out["endsAt"] = str(alert.get("endsAt", ""))
    if alert.get("generatorURL") and alert.get("generatorURL") != graph:
        out["generatorURL"] = str(alert["generatorURL"])
    out["fingerprint"] = str(alert.get("fingerprint", ""))
    return out


def parse_alertmanager_webhook(body: dict[str, Any]) -> list[Alert]:
    """One Alert for the notification's group: firing when any of its alerts fire, else resolved (a group's
    firing and resolved notifications share its dedupe key, so the resolved one finds the incident)."""
    if not isinstance(body, dict):
        return []
    given = body.get("alerts")
    alerts = [a for a in given if isinstance(a, dict)] if isinstance(given, list) else []
    firing = [a for a in alerts if a.get("status") == "firing"]
    resolved = [a for a in alerts if a.get("status") == "resolved"]
    shown = firing or resolved
    if not shown:
        return []
    group, common = _str_map(body.get("groupLabels")), _str_map(body.get("commonLabels"))
    annotations = _str_map(body.get("commonAnnotations"))
    first_labels, first_notes = _str_map(shown[0].get("labels")), _str_map(shown[0].get("annotations"))
    labels = common or first_labels
    alertname = labels.get("alertname") or group.get("alertname") or first_labels.get("alertname", "")
    # the same title as Alertmanager's default Slack and email templates
    group_values = " ".join(v for _, v in sorted(group.items())) or alertname
    extra = " ".join(v for k, v in sorted(common.items()) if k not in (group or {"alertname"}))
    status = f"FIRING:{len(firing)}" if firing else "RESOLVED"
    title = f"[{status}] {group_values}" + (f" ({extra})" if extra else "")
    summary = annotations.get("summary") or first_notes.get("summary", "")
    description = annotations.get("description") or first_notes.get("description", "")
    external = str(body.get("externalURL") or "")[:2000]
    receiver = str(body.get("receiver") or "")[:200]
    link = http_link(f"{external.rstrip('/')}/#/alerts?receiver={quote(receiver)}") if external else ""
    graph = http_link(shown[0].get("generatorURL"))
    group_key = str(body.get("groupKey") or "")
    fingerprint = str(shown[0].get("fingerprint") or "")
    key = group_key or fingerprint or f"{alertname}:{title_key(str(sorted(labels.items())))}"
    lines = [title, summary, description]
    for alert in shown[:_MAX_WEBHOOK_ALERTS]:
        pairs = ", ".join(f"{k}={v}" for k, v in sorted(_str_map(alert.get("labels")).items()))
        ended = f" until {alert.get('endsAt', '?')}" if not firing else ""
        lines.append(f"- since {alert.get('startsAt', '?')}{ended}: {pairs}")
    listed = [_compact(a, common, annotations, str(shown[0].get("generatorURL") or "")) for a in shown[:_MAX_LISTED]]
    payload: dict[str, Any] = {
        "source": "alertmanager",
        "via": "webhook",
        "title": title,
        "receiver": receiver,
        "status": "firing" if firing else "resolved",
        "groupKey": group_key,
        "groupLabels": group,
        "commonLabels": common,
        "commonAnnotations": annotations,
        "externalURL": external,
        "generatorURL": str(shown[0].get("generatorURL") or "")[:2000],
        "firing": len(firing),
        "resolved": len(resolved),
        "truncatedAlerts": body.get("truncatedAlerts", 0),
        "alerts": listed,
    }
    left = len(shown) - len(listed)
    truncated = body.get("truncatedAlerts") if isinstance(body.get("truncatedAlerts"), int) else 0
    unlisted = [f"{left} more alert(s) of this notification are not listed here" if left else "",
                f"Alertmanager left {truncated} alert(s) out of the notification (max_alerts)" if truncated else ""]
    if left or truncated:
        payload["not_listed"] = "; ".join(part for part in unlisted if part)
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
            graph_link=graph,
            members=tuple(_member(a) for a in shown),  # in the order of payload["alerts"]
            started_at=min(filter(None, (parse_instant(a.get("startsAt")) for a in shown)), default=None),
            resolved_at=None if firing else max(filter(None, (parse_instant(a.get("endsAt")) for a in shown)),
                                                default=None),
        )
    ]
