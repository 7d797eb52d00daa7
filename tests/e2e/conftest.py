"""End-to-end fixtures: the real bot (AsyncApp + AsyncSocketModeHandler + AsyncAnthropic) against the stand-ins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.demo import ALERTS, BYSTANDER, ONCALL, YOU, DemoWorld, start_world
from bot.settings import REPO_ROOT

FIXTURES = REPO_ROOT / "fixtures"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no Slack or Anthropic settings from the machine, and no proxies."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ANTHROPIC_")) or name in ("ONCALL_CHANNEL", "ALERT_CHANNELS", "APPROVERS"):
            monkeypatch.delenv(name, raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "")


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path / "work"


@pytest.fixture
async def world(work_dir: Path):
    """The OOM incident's world; tests that need another build their own with start_world()."""
    w = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir)
    try:
        yield w
    finally:
        await w.stop()


__all__ = ["ALERTS", "BYSTANDER", "FIXTURES", "ONCALL", "YOU", "DemoWorld"]
