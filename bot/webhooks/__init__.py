"""Incoming webhooks: PagerDuty and Alertmanager alerts, Managed Agents session events."""

from bot.webhooks.server import OnAlert, OnSessionEvent, WebhookServer

__all__ = ["OnAlert", "OnSessionEvent", "WebhookServer"]
