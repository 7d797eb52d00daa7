"""Grafana alerting: its Slack contact point's messages (default title and message templates)."""

from __future__ import annotations

import re

from bot.alerts.labels import parse_label_lists, parse_status_title, service_from_labels, severity_word
from bot.alerts.model import Alert, make_alert, title_key
from bot.alerts.slack import SlackMessage

__all__ = ["from_slack"]

_RULE = re.compile(r"/alerting/grafana/([A-Za-z0-9_-]{1,64})/view")
_FINGERPRINT = re.compile(r"\bfingerprint\W{0,5}([0-9a-f]{8,64})\b", re.I)


def _looks_like_grafana(msg: SlackMessage) -> bool:
    if msg.footer.lower().startswith("grafana") or msg.sender.startswith("grafana"):
        return True
    if any(_RULE.search(link.url) or link.url.endswith("/alerting/list") for link in msg.links):
        return True
    return "grafana_folder" in msg.body and parse_status_title(msg.headline) is not None


def _links(msg: SlackMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in msg.links:
        url = link.url
        kind = (
            "rule" if _RULE.search(url)
            else "panel" if "viewPanel=" in url
            else "dashboard" if "/d/" in url
            else "silence" if "/alerting/silence/" in url
            else "list" if "/alerting/list" in url
            else ""
        )  # fmt: skip
        if kind:
            found.setdefault(kind, url)
    return found


def from_slack(msg: SlackMessage) -> Alert | None:
    """An Alert from a Grafana Slack notification, or None when the message is not one."""
    if not _looks_like_grafana(msg):
        return None
    parsed = parse_status_title(msg.headline)
    labels, annotations = parse_label_lists(msg.body)
    rule_uids = sorted({m.group(1) for link in msg.links for m in [_RULE.search(link.url)] if m})
    fingerprint = _FINGERPRINT.search(msg.body)
    if rule_uids:
        key = "grafana:" + ",".join(rule_uids[:10])
    elif fingerprint:
        key = f"grafana:{fingerprint.group(1).lower()}"
    else:
        key = f"grafana:{title_key(parsed.rest if parsed else msg.headline)}"
    links = _links(msg)
    link = links.get("panel") or links.get("dashboard") or links.get("rule") or msg.headline_link
    values = (parsed.group_values + parsed.common_values) if parsed else ()
    payload = {
        "source": "grafana",
        "via": "slack",
        "status": parsed.status if parsed else "",
        "firing": parsed.count if parsed and parsed.status == "firing" else None,
        "title": msg.headline,
        "alertname": labels.get("alertname") or (parsed.group_values[0] if parsed and parsed.group_values else ""),
        "folder": labels.get("grafana_folder", ""),
        "labels": labels,
        "annotations": annotations,
        "rule_uids": rule_uids,
        "links": links,
        "text": msg.full_text,
    }
    return make_alert(
        title=msg.headline,
        full_text=msg.full_text,
        source="grafana",
        payload=payload,
        service=service_from_labels(labels),
        severity=labels.get("severity") or severity_word(values),
        source_link=link,
        dedupe_key=key,
    )
