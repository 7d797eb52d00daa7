"""Alerts from Slack messages and webhooks, normalised into one frozen Alert."""

from bot.alerts.alertmanager import parse_alertmanager_webhook
from bot.alerts.message import parse_alert_message
from bot.alerts.model import MAX_ALERT_TEXT, Alert
from bot.alerts.pagerduty import parse_pagerduty_webhook

__all__ = ["Alert", "MAX_ALERT_TEXT", "parse_alert_message", "parse_alertmanager_webhook", "parse_pagerduty_webhook"]
