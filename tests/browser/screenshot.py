"""`python -m tests.browser.screenshot [PATH]`: run the OOM incident by clicking and save the finished thread.

The picture in docs/browser.md and the README is made this way (default PATH docs/screenshots/thread.png).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import expect

from bot.demo import YOU, start_world
from bot.settings import REPO_ROOT
from tests.browser.helpers import STEP, approval_card, chromium, click_approve, open_page, run_incident, thread_pane

__all__ = ["DEFAULT", "shoot"]

DEFAULT = REPO_ROOT / "docs" / "screenshots" / "thread.png"


async def shoot(out: Path, *, pace: float = 0.0) -> Path:
    """Open the incident from the composer, approve it as `you`, and save the page once the merge is shown."""
    with tempfile.TemporaryDirectory(prefix="incident-bot-shot-") as work:
        world = await start_world(incident_dir=REPO_ROOT / "fixtures" / "checkout-oom", work_dir=Path(work), pace=pace)
        try:
            async with chromium() as browser:
                errors: list[str] = []
                page = await open_page(browser, world.slack.ui_url, user=YOU, errors=errors)
                root = await run_incident(page, "checkout pods OOMKilled, CrashLoopBackOff")
                card = await approval_card(page)
                await click_approve(card, page)
                await expect(thread_pane(page)).to_contain_text("is merged", timeout=STEP)
                await expect(root).to_contain_text("Approved by @you", timeout=STEP)
                await page.mouse.move(0, 0)  # no hover highlight in the picture
                await page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
                await card.evaluate("card => card.scrollIntoView({block: 'start'})")
                out.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(out))
                if errors:
                    raise RuntimeError(f"the page had script errors: {errors}")
        finally:
            await world.stop()
    return out


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    print(f"saved {asyncio.run(shoot(path))}")
