"""A whole incident run by clicking in the local Slack page, in a real Chromium: what each person sees."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo import BYSTANDER, LEAD, YOU, DemoWorld
from tests.browser.helpers import STEP, approval_card, click_approve, open_page, run_incident, switch_user, thread_pane
from tests.browser.screenshot import shoot


def _interactions(world: DemoWorld) -> int:
    return sum(1 for e in world.slack.envelopes if e["type"] == "interactive")


async def test_refused_for_a_non_approver_and_the_opener_then_approved(browser: Browser, world: DemoWorld) -> None:
    errors: list[str] = []
    page = await open_page(browser, world.slack.ui_url, user=YOU, errors=errors)
    await run_incident(page, "checkout pods OOMKilled, CrashLoopBackOff")
    card = await approval_card(page)
    await expect(card.get_by_role("button", name="Approve")).to_be_visible()
    shown = await card.inner_text()

    await switch_user(page, BYSTANDER, "sam")  # not an approver: an ephemeral refusal, to sam only
    await click_approve(card, page)
    refusal = thread_pane(page).locator(".msg.ephemeral", has_text="Only approvers can decide this")
    await expect(refusal).to_contain_text("Only visible to you", timeout=STEP)
    assert await card.inner_text() == shown  # the card did not change

    await switch_user(page, YOU, "you")  # opened the incident: the two-person rule refuses
    await expect(refusal).to_have_count(0)  # sam's refusal is sam's alone
    await click_approve(card, page)
    await expect(thread_pane(page).locator(".msg.ephemeral", has_text="Two-person rule")).to_be_visible(timeout=STEP)
    assert await card.inner_text() == shown

    await switch_user(page, LEAD, "alex")  # an approver who did not open it
    before = _interactions(world)
    await click_approve(card, page, confirm=False)  # "Not yet" sends nothing
    assert _interactions(world) == before
    await click_approve(card, page)
    await expect(card.locator(".header")).to_contain_text("Approved", timeout=STEP)
    await expect(card).to_contain_text("Approved by @alex")
    await expect(card.get_by_role("button")).to_have_count(0)  # a decided card has no buttons left
    await expect(thread_pane(page)).to_contain_text("is merged", timeout=STEP)
    await expect(page.locator("#messages .msg", has=page.locator(".header")).first).to_contain_text(
        "Approved by @alex", timeout=STEP)  # the root message, updated in place
    assert errors == []


async def test_reject_asks_why_in_a_modal_that_can_be_cancelled(browser: Browser, world: DemoWorld) -> None:
    errors: list[str] = []
    page = await open_page(browser, world.slack.ui_url, user=YOU, errors=errors)
    await run_incident(page, "checkout pods OOMKilled")
    card = await approval_card(page)
    modal = page.locator("#modal")

    await card.get_by_role("button", name="Reject").click()
    await expect(modal.locator(".dialog-title")).to_have_text("Reject the fix", timeout=STEP)
    await modal.get_by_role("button", name="Cancel").click()
    await expect(modal).to_have_count(0)
    await expect(card.get_by_role("button", name="Reject")).to_be_visible()  # cancelling decided nothing

    await card.get_by_role("button", name="Reject").click()
    await modal.get_by_label("Why?").fill("512Mi is too much for this node pool")
    await modal.get_by_role("button", name="Reject").click()
    await expect(modal).to_have_count(0, timeout=STEP)
    await expect(card.locator(".header")).to_contain_text("Rejected", timeout=STEP)
    await expect(card).to_contain_text("Reason: 512Mi is too much for this node pool")
    await expect(card.get_by_role("button")).to_have_count(0)
    assert errors == []


async def test_agent_and_alert_text_is_shown_never_run(browser: Browser, world: DemoWorld) -> None:
    errors: list[str] = []
    page = await open_page(browser, world.slack.ui_url, user=YOU, errors=errors)
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> checkout down'
    await run_incident(page, evil)
    root = page.locator("#messages .msg", has=page.locator(".header")).first
    await expect(root.locator(".header")).to_contain_text('<script>window.__pwned = 1</script><img src=x onerror=')
    # the agent repeats the title in its first message (escaped by the bot, drawn as text by the page)
    await expect(thread_pane(page)).to_contain_text("Looking into: <script>window.__pwned = 1</script>", timeout=STEP)
    await page.locator("#composer-input").fill("<img src=x onerror=\"window.__pwned = 3\"> *not bold* <b>raw</b>")
    await page.locator("#composer-input").press("Enter")
    await expect(page.locator("#messages")).to_contain_text('<img src=x onerror="window.__pwned = 3">', timeout=STEP)
    for pane in ("#messages", "#thread-messages"):
        assert await page.locator(f"{pane} img, {pane} script, {pane} b:has-text('raw')").count() == 0
    assert await page.evaluate("window.__pwned") is None
    assert errors == []


async def test_sample_alert_app_home_and_what_a_non_approver_sees(browser: Browser, world: DemoWorld) -> None:
    errors: list[str] = []
    page = await open_page(browser, world.slack.ui_url, user=BYSTANDER, errors=errors)
    await page.get_by_role("button", name="Fire a PagerDuty alert").click()
    await expect(page.locator("#channels [data-channel=C0ONCALL]")).to_have_class("side-item active")
    await expect(page.locator("#channels [data-channel=C0ALERTS]")).to_have_class("side-item unread", timeout=STEP)
    await page.locator("#channels [data-channel=C0ALERTS]").click()
    alert = page.locator("#messages .msg", has_text="KubePodCrashLooping")
    await expect(alert.locator(".author")).to_have_text("PagerDuty", timeout=STEP)
    await expect(alert.get_by_role("button", name="Acknowledge")).to_be_disabled()  # another app's button
    await expect(alert.locator(".thread-summary")).to_contain_text("1 reply", timeout=STEP)  # the bot's answer
    await page.locator("#home-link").click()
    home = page.locator("#home-body")
    await expect(home).to_contain_text("You are not an approver", timeout=STEP)
    await expect(home).to_contain_text("Waiting on approvers")
    await expect(home).to_contain_text("KubePodCrashLooping", timeout=STEP)  # the incident the alert opened
    await switch_user(page, YOU, "you")
    await expect(home).to_contain_text("Waiting on you", timeout=STEP)
    await expect(home).not_to_contain_text("You are not an approver")
    await home.get_by_role("link", name="KubePodCrashLooping").first.click()  # a permalink opens here
    await expect(thread_pane(page)).to_contain_text("not Claude", timeout=STEP)
    assert errors == []


async def test_the_screenshot_script_still_runs(browser: Browser, tmp_path: Path) -> None:
    shot = await shoot(tmp_path / "thread.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


MRKDWN = ("*bold* _italic_ ~struck~ `a < b` <https://example.com/x?a=1&amp;b=2|a link> <javascript:alert(1)|not a link> "
          "<@U0LEAD> <#C0ALERTS> <!here> &lt;b&gt;kept&lt;/b&gt;\n• first\n• second\n&gt; quoted\n```x = 1 &amp;&amp; y```")


async def test_block_kit_and_mrkdwn_are_drawn(browser: Browser, world: DemoWorld) -> None:
    errors: list[str] = []
    page = await open_page(browser, world.slack.ui_url, user=YOU, errors=errors)
    client = AsyncWebClient(token="xoxb-demo", base_url=world.slack.api_url)
    await client.chat_postMessage(channel="C0ONCALL", text="fallback", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "A &amp; B"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": MRKDWN}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Status*\nok"}, {"type": "mrkdwn", "text": "*Owner*\n<@U0ONCALL>"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "nope", "style": "danger", "text": {"type": "plain_text", "text": "Danger"}}]},
    ])  # fmt: skip
    msg = page.locator("#messages .msg", has_text="small print")
    await expect(msg.locator(".header")).to_have_text("A & B", timeout=STEP)
    for selector, text in (("b", "bold"), ("i", "italic"), ("s", "struck"), ("code.inline", "a < b"),
                           ("pre.code", "x = 1 && y"), ("a.link", "a link"), (".mention.user", "@alex"),
                           (".mention.channel", "#alerts"), (".mention.broadcast", "@here"), ("li", "second"),
                           ("blockquote", "quoted"), (".fields .field", "Owner"), (".context", "small print")):
        await expect(msg.locator(selector).filter(has_text=text)).to_have_count(1)
    await expect(msg.locator("a.link")).to_have_attribute("href", "https://example.com/x?a=1&b=2")
    await expect(msg.locator("a", has_text="not a link")).to_have_count(0)
    await expect(msg).to_contain_text("@here <b>kept</b>")  # entities drawn as the characters, not as markup
    await expect(msg.locator("hr.divider")).to_have_count(1)
    await expect(msg.get_by_role("button", name="Danger")).to_have_class("btn danger")
    assert errors == []
