"""What `python -m bot demo` was asked to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["INCIDENTS", "DemoOptions"]

INCIDENTS = {"oom": "checkout-oom", "checkout-oom": "checkout-oom", "2277": "incident-2277"}


@dataclass
class DemoOptions:
    incident: str = "oom"
    headless: bool = False
    decision: str | None = None  # "approve" | "reject"
    pace: float = 0.15
    work_dir: Path | None = None
    alert: str | None = None  # post this integration's sample alert in #alerts instead of typing /incident
    port: int = 0  # the local Slack's port (its web page is /ui/ there); 0: a free one
    browser: bool = True  # open the page in a browser when there is a display
    two_person: bool = False  # APPROVAL_SELF_DENY: whoever opened an incident cannot approve its fix
    live_metrics: bool = False  # the real Prometheus and Alertmanager open the incident (bot/demo/live_metrics.py)
