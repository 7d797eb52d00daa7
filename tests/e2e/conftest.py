"""End-to-end fixtures: the real bot (AsyncApp + AsyncSocketModeHandler + AsyncAnthropic) against the stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import ALERTS, BYSTANDER, ONCALL, YOU, DemoWorld, start_world
from bot.settings import REPO_ROOT

FIXTURES = REPO_ROOT / "fixtures"


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
