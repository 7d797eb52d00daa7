"""PagerDuty: incident messages posted by its Slack integration, and its V3 webhooks."""

from __future__ import annotations

import re
from typing import Any

from bot.alerts.model import Alert, make_alert
from bot.alerts.slack import SlackMessage, clean

__all__ = ["from_slack", "parse_pagerduty_webhook"]

_INCIDENT_URL = re.compile(r"^https://[\w.-]{0,253}pagerduty\.com/incidents/([A-Za-z0-9]{1,40})(?:[/?#]|$)")
_SERVICE_URL = re.compile(r"^https://[\w.-]{0,253}pagerduty\.com/(?:service-directory|services)/")
_NUMBER_PREFIX = re.compile(r"^\W{0,20}(?:(?:Triggered|Acknowledged|Resolved)\W{1,20})?\[?#(\d{1,12})\]?:?\s{0,20}", re.I)


def from_slack(msg: SlackMessage) -> Alert | None:
    """An Alert from a PagerDuty Slack incident message, or None when the message is not one."""
    incident = next((ln for ln in msg.links if _INCIDENT_URL.match(ln.url)), None)
    if incident is None and "pagerduty" not in msg.sender:
        return None
    incident_id = _INCIDENT_URL.match(incident.url).group(1) if incident else ""  # type: ignore[union-attr]
    headline = incident.label if incident and incident.label else msg.headline
    number = _NUMBER_PREFIX.match(headline) or re.search(r"#(\d{1,12})\b", msg.body[:5_000])
    title = _NUMBER_PREFIX.sub("", headline, count=1) or headline
    fields = msg.fields
    service = fields.get("service") or next((ln.label for ln in msg.links if _SERVICE_URL.match(ln.url)), "")
    urgency, priority = fields.get("urgency", ""), fields.get("priority", "")
    payload = {
        "source": "pagerduty",
        "via": "slack",
        "incident_id": incident_id,
        "incident_number": int(number.group(1)) if number else None,
        "title": title,
        "status": fields.get("status", ""),
        "urgency": urgency,
        "priority": priority,
        "service": service,
        "assigned": fields.get("assigned") or fields.get("assignee") or fields.get("assignees", ""),
        "url": incident.url if incident else msg.headline_link,
        "fields": fields,
        "text": msg.full_text,
    }
    return make_alert(
        title=title,
        full_text=msg.full_text,
        source="pagerduty",
        payload=payload,
        service=service,
        severity=priority or urgency.lower(),
        source_link=incident.url if incident else msg.headline_link,
        dedupe_key=f"pagerduty:{incident_id}" if incident_id else "",
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _summary(value: Any) -> str:
    return clean(str(_dict(value).get("summary") or "")[:2000])


def parse_pagerduty_webhook(body: dict[str, Any]) -> Alert | None:
    """An Alert for a V3 webhook whose event is `incident.triggered`; None for every other event."""
    event = _dict(_dict(body).get("event"))
    if event.get("event_type") != "incident.triggered":
        return None
    data = _dict(event.get("data"))
    incident_id = str(data.get("id") or "")
    title = str(data.get("title") or "") or f"PagerDuty incident {incident_id or event.get('id', '')}".strip()
    service = _summary(data.get("service"))
    priority, urgency = _summary(data.get("priority")), str(data.get("urgency") or "")
    link = str(data.get("html_url") or "")
    people = data.get("assignees") if isinstance(data.get("assignees"), list) else []
    assignees = [_summary(a) for a in people if isinstance(a, dict)][:10]
    lines = [
        title,
        f"Service: {service}" if service else "",
        f"Priority: {priority}" if priority else "",
        f"Urgency: {urgency}" if urgency else "",
        f"Incident: #{data.get('number')} {link}".strip() if data.get("number") or link else "",
        f"Triggered via: {clean(str(_dict(event.get('client')).get('name') or ''))}" if event.get("client") else "",
        f"Assigned: {', '.join(assignees)}" if assignees else "",
        f"Escalation policy: {_summary(data.get('escalation_policy'))}" if data.get("escalation_policy") else "",
    ]
    key = incident_id or str(data.get("incident_key") or "") or str(event.get("id") or "")
    return make_alert(
        title=title,
        full_text="\n".join(line for line in lines if line),
        source="pagerduty",
        payload=body,
        service=service,
        severity=priority or urgency.lower(),
        source_link=link,
        dedupe_key=f"pagerduty:{key}" if key else "",
    )
