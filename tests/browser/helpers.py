"""Driving the local Slack page in Debian's Chromium through Playwright, as a person would."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, async_playwright, expect

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "STEP", "approval_card", "chromium", "click_approve", "open_page",
           "run_incident", "switch_user", "thread_pane"]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# without the background-networking flags Chromium hangs reaching for Google on a closed network
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-proxy-server"]
STEP = 20_000  # ms: how long one visible step of an incident may take on a slow machine


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium (the system's, never a downloaded one)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_page(browser: Browser, url: str, *, user: str, errors: list[str]) -> Page:
    """The page acting as `user`, live; script errors on it are appended to `errors`."""
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{url}?as={user}&channel=C0ONCALL")
    await expect(page.locator("#status")).to_have_text("● live", timeout=STEP)
    await expect(page.locator("#channel-name")).to_have_text("# oncall")
    return page


def thread_pane(page: Page) -> Locator:
    """The open thread."""
    return page.locator("#thread-pane")


async def approval_card(page: Page) -> Locator:
    """The approval card in the open thread once it is there, pinned by its ts (its header changes later)."""
    pending = thread_pane(page).locator(".msg", has=page.locator(".header", has_text="Approval needed"))
    await expect(pending).to_have_count(1, timeout=STEP)
    ts = await pending.get_attribute("data-ts")
    return thread_pane(page).locator(f'.msg[data-ts="{ts}"]')


async def run_incident(page: Page, text: str) -> Locator:
    """Type /incident in the composer, open the incident's thread once it has replies; the root message."""
    await page.locator("#composer-input").fill(f"/incident {text}")
    await page.locator("#composer-input").press("Enter")
    reply = page.locator("#messages .msg.ephemeral", has_text="Opening an incident")  # the command's reply
    await expect(reply).to_contain_text("Only visible to you", timeout=STEP)
    root = page.locator("#messages .msg", has=page.locator(".header")).first
    await root.locator(".thread-summary").click(timeout=STEP)
    await expect(thread_pane(page)).to_be_visible()
    return root


async def switch_user(page: Page, user: str, name: str) -> None:
    """Act as another member (`name` is their handle, as the page shows it)."""
    await page.locator("#user-select").select_option(user)
    await expect(page.locator("#acting-as")).to_contain_text(f"@{name}")


async def click_approve(card: Locator, page: Page, *, confirm: bool = True) -> None:
    """Click the card's Approve button and answer its confirm dialog."""
    await card.get_by_role("button", name="Approve").click()
    dialog = page.locator("#confirm")
    await expect(dialog).to_contain_text("The agent may merge PR #1")
    await dialog.get_by_role("button", name="Approve" if confirm else "Not yet").click()
    await expect(dialog).to_have_count(0)
