"""Browser tests: the real bot and stand-ins on loopback, the local Slack page in Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from bot.demo import DemoWorld, start_world
from bot.settings import REPO_ROOT
from tests.browser.helpers import CHROMIUM, chromium


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Chromium, or a skip saying how to get it (a failure when REQUIRE_BROWSER=1, as in CI)."""
    if not CHROMIUM.exists():
        why = f"no Chromium at {CHROMIUM}: `apt-get install chromium` (Debian) to run the browser tests"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    async with chromium() as browser:
        yield browser


async def _world(tmp_path: Path, **overrides: object) -> DemoWorld:
    return await start_world(incident_dir=REPO_ROOT / "fixtures" / "checkout-oom", work_dir=tmp_path / "work",
                             **overrides)  # fmt: skip


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[DemoWorld]:
    """The OOM incident's world with the two-person rule on, so that every refusal can be seen."""
    w = await _world(tmp_path, approval_self_deny=True)
    try:
        yield w
    finally:
        await w.stop()
