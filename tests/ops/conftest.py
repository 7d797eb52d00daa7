"""A world whose bot answers on a health port (HEALTH_PORT=0: a free one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import start_world
from bot.settings import REPO_ROOT

OOM = REPO_ROOT / "fixtures" / "checkout-oom"


@pytest.fixture
async def world(tmp_path: Path):
    w = await start_world(incident_dir=OOM, work_dir=tmp_path / "work", health_port=0)
    try:
        yield w
    finally:
        await w.stop()
