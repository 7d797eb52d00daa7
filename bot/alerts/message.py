"""Turning an alert message in Slack (a person's text, or an integration's attachments/blocks) into an Alert."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.alerts import alertmanager, datadog, grafana, pagerduty
from bot.alerts.model import MAX_ALERT_TEXT, Alert, make_alert
from bot.alerts.slack import SlackMessage, read_message, readable_text

__all__ = ["parse_alert_message"]

log = logging.getLogger(__name__)

# Most specific first: PagerDuty and Grafana messages often carry an Alertmanager-style `[FIRING:n]` title.
_RECOGNISERS: tuple[tuple[str, Callable[[SlackMessage], Alert | None]], ...] = (
    ("pagerduty", pagerduty.from_slack),
    ("datadog", datadog.from_slack),
    ("grafana", grafana.from_slack),
    ("alertmanager", alertmanager.from_slack),
)


def _as_text(event: dict[str, Any]) -> Alert:
    full = readable_text(event)
    text = full[:MAX_ALERT_TEXT] or "(an alert with no readable text)"
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), "Alert")
    return make_alert(title=title, full_text=full, source="text")


def parse_alert_message(event: dict[str, Any]) -> Alert:
    """Read what an alert message says, recognising the usual integrations; never fails, falls back to its text."""
    event = event if isinstance(event, dict) else {}
    try:
        msg = read_message(event)
    except Exception:  # a shape nobody foresaw must still open an incident
        log.exception("could not read an alert message; using its plain text")
        msg = None
    if msg is not None and msg.from_integration:
        for name, recognise in _RECOGNISERS:
            try:
                alert = recognise(msg)
            except Exception:
                log.exception("the %s recogniser failed on a message; trying the others", name)
                continue
            if alert is not None:
                return alert
    try:
        return _as_text(event)
    except Exception:
        log.exception("could not read an alert message's text")
        return make_alert(title="Alert", full_text="", source="text")
