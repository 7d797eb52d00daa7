"""Every test starts with no Slack or Anthropic settings from the machine, and no proxies (loopback only)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ANTHROPIC_")) or name in ("ONCALL_CHANNEL", "ALERT_CHANNELS", "APPROVERS"):
            monkeypatch.delenv(name, raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "")
