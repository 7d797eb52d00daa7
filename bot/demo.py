"""`python -m bot demo`: the real bot against the local Slack and Managed Agents stand-ins, no credentials."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blocks.ids import ActionId
from bot.app import Bot, build_bot
from bot.settings import REPO_ROOT, Settings
from bot.transcript import message_lines

__all__ = ["DemoOptions", "run_demo", "DemoWorld", "start_world", "INCIDENTS"]

INCIDENTS = {"oom": "checkout-oom", "checkout-oom": "checkout-oom", "2277": "incident-2277"}
ONCALL, ALERTS = "C0ONCALL", "C0ALERTS"
YOU, BYSTANDER = "U0ONCALL", "U0BYSTANDER"


@dataclass
class DemoOptions:
    incident: str = "oom"
    headless: bool = False
    decision: str | None = None  # "approve" | "reject"
    pace: float = 0.15
    work_dir: Path | None = None
    alert: str | None = None  # post this integration's sample alert in #alerts instead of typing /incident


@dataclass
class DemoWorld:
    """The stand-ins and the bot, started together (also used by tests and benchmarks)."""

    slack: Any
    agents: Any
    bot: Bot
    settings: Settings

    async def stop(self) -> None:
        await self.bot.stop()
        await self.agents.stop()
        await self.slack.stop()


async def start_world(
    *,
    incident_dir: Path,
    work_dir: Path,
    pace: float = 0.0,
    posts_per_second: float = 50.0,
    brain: Any = None,
    **overrides: Any,
) -> DemoWorld:
    """Start the Slack and Managed Agents stand-ins on loopback, and the real bot pointed at them."""
    from standins.managed_agents import ManagedAgentsStandin
    from standins.slack import SlackStandin

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ[var] = ""  # slack_sdk hands proxies to aiohttp explicitly; loopback needs none
    slack = SlackStandin(
        users={YOU: {"name": "you", "real_name": "You (on call)"}, BYSTANDER: {"name": "sam", "real_name": "Sam"}},
        usergroups={"S0SRE": [YOU]},
        channels={ONCALL: "oncall", ALERTS: "alerts"},
    )
    api_url = await slack.start()
    agents = ManagedAgentsStandin(pace=pace, brain=brain)
    base_url = await agents.start()
    fields: dict[str, Any] = {
        "slack_bot_token": "xoxb-demo",
        "slack_app_token": "xapp-demo",
        "oncall_channel": ONCALL,
        "anthropic_api_key": "sk-ant-demo",
        "slack_api_url": api_url,
        "anthropic_base_url": base_url,
        "alert_channels": (ALERTS,),
        "approvers": ("S0SRE",),
        "incident_data": incident_dir,
        "work_dir": work_dir,
        "slack_posts_per_second": posts_per_second,
        "audit_log": work_dir / "audit.jsonl",
    }
    settings = Settings(**{**fields, **overrides})
    bot = build_bot(settings)
    try:
        await bot.start()
    except BaseException:
        await agents.stop()
        await slack.stop()
        raise
    return DemoWorld(slack=slack, agents=agents, bot=bot, settings=settings)


def _snapshot(slack: Any, ts: str) -> tuple:
    return tuple((m["ts"], json.dumps([m.get("text"), m.get("blocks"), m.get("files")], default=str)) for m in slack.thread(ONCALL, ts))


def _pending_card(slack: Any, ts: str) -> dict | None:
    for msg in slack.thread(ONCALL, ts):
        for block in msg.get("blocks") or []:
            if block.get("type") == "actions" and any(
                e.get("action_id") == ActionId.APPROVE for e in block.get("elements", [])
            ):
                return msg
    return None


def _print(msg: dict, *, edited: bool, before: list[str] | None = None, out=sys.stdout) -> list[str]:
    """Print a message; for an edit, only the lines it did not show before. Returns the lines shown now."""
    lines = message_lines(msg)
    fresh = [ln for ln in lines if ln not in set(before or ())] if edited else lines
    if fresh:
        who = "bot" if msg.get("bot_id") else msg.get("user", "?")
        print(f"\n[{who}]" + (" (updated)" if edited else ""), file=out)
        for line in fresh:
            print(f"  {line}", file=out)
    return lines


async def _ask(prompt: str) -> str:
    return (await asyncio.to_thread(input, prompt)).strip().lower()


async def run_demo(options: DemoOptions) -> int:
    """Open the incident, show the thread as it grows, decide the approval, and report how it ended."""
    name = INCIDENTS.get(options.incident, options.incident)
    incident_dir = REPO_ROOT / "fixtures" / name
    if not incident_dir.is_dir():
        print(f"unknown incident {options.incident!r}; try one of: oom, 2277", file=sys.stderr)
        return 2
    work_dir = options.work_dir or Path(tempfile.mkdtemp(prefix="incident-bot-demo-"))
    print(f"Starting the local Slack and Managed Agents stand-ins (work dir {work_dir})…")
    world = await start_world(incident_dir=incident_dir, work_dir=work_dir, pace=options.pace, posts_per_second=20)
    slack = world.slack
    try:
        if options.alert:
            await _post_sample_alert(world, options.alert)
        else:
            alert = json.loads((incident_dir / "alert.json").read_text())
            title = alert.get("event", {}).get("data", {}).get("title") or name
            print(f"\n> /incident {title}   (typed by {YOU} in #oncall)")
            await slack.slash_command(YOU, "/incident", title, channel_id=ONCALL)
        await slack.wait_for(lambda s: bool(s.messages(ONCALL)), timeout=30)
        root_ts = slack.messages(ONCALL)[0]["ts"]
        run = None
        shown: dict[str, str] = {}
        printed: dict[str, list[str]] = {}
        decided = False
        while True:
            if run is None:
                run = next(iter(world.bot.manager.runs.values()), None)
            snap = _snapshot(slack, root_ts)
            for ts, fingerprint in snap if not options.headless else ():
                if shown.get(ts) != fingerprint:
                    msg = next(m for m in slack.thread(ONCALL, root_ts) if m["ts"] == ts)
                    printed[ts] = _print(msg, edited=ts in shown, before=printed.get(ts))
                    shown[ts] = fingerprint
            card = _pending_card(slack, root_ts)
            if card is not None and not decided:
                choice = options.decision
                while choice not in ("approve", "reject"):
                    answer = await _ask("\nApprove or reject this fix? [a/r] ")
                    choice = {"a": "approve", "r": "reject"}.get(answer[:1])
                action = ActionId.APPROVE if choice == "approve" else ActionId.REJECT
                print(f"\n> {YOU} clicks {'Approve' if choice == 'approve' else 'Reject'}")
                await slack.click(YOU, ONCALL, card["ts"], action)
                if action is ActionId.REJECT:  # the bot asks why in a modal; the agent reads the answer
                    reason = "not now: rejected from the demo" if options.headless else await _ask("Why? (optional) ")
                    await slack.wait_for(lambda s: bool(s.views.modals(YOU)), timeout=30)
                    modal = slack.views.modals(YOU)[-1]
                    values = {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
                    await slack.submit_view(YOU, modal["id"], values)
                decided = True
            if run is not None and run.state.finished:
                await run.publisher.flush(timeout=30)
                if _snapshot(slack, root_ts) == snap:
                    break
                continue
            await slack.wait_for(lambda s: _snapshot(s, root_ts) != snap, timeout=120)
        if options.headless:
            print("\n--- the thread in #oncall, as it ends ---")
            for msg in slack.thread(ONCALL, root_ts):
                _print(msg, edited=False)
        return await _report(world, run, options)
    finally:
        await world.stop()


SAMPLE_ALERTS = REPO_ROOT / "fixtures" / "alerts"


async def _post_sample_alert(world: DemoWorld, source: str) -> None:
    """Post an integration's sample alert message in #alerts, as that integration would, and show the reply."""
    event = json.loads((SAMPLE_ALERTS / f"{source}.json").read_text())
    name = (event.get("bot_profile") or {}).get("name") or source
    print(f"\n> {name} posts an alert in #alerts")
    for line in message_lines(event):
        print(f"  {line}")
    ts = await world.slack.post_message(
        event.get("user") or "U0INTEGRATION", ALERTS, event.get("text") or "",
        bot_id=event.get("bot_id") or "B0INTEGRATION", attachments=event.get("attachments"), blocks=event.get("blocks"),
    )  # fmt: skip
    await world.slack.wait_for(lambda s: len(s.thread(ALERTS, ts)) > 1, timeout=30)
    reply = world.slack.thread(ALERTS, ts)[-1]
    print(f"\n[bot, in the alert's thread] {reply.get('text', '')}")


async def _report(world: DemoWorld, run: Any, options: DemoOptions) -> int:
    merged = [n for n in run.state.prs if await world.bot.manager.prs.is_merged(run.session_id, n)] if run else []
    decisions = [a.decision.outcome for a in run.state.approvals.values() if a.decision] if run else []
    print("\n--- outcome ---")
    print(f"session {run.session_id if run else '-'}: status {run.state.status.value if run else '-'}")
    print(f"decisions: {', '.join(decisions) or 'none'}; merged PRs: {', '.join(f'#{n}' for n in merged) or 'none'}")
    if run is not None:
        repo = world.bot.manager.prs.repo_path(run.session_id)
        print(f"git repository: {repo}")
    if options.decision == "approve":
        return 0 if merged and "approved" in decisions else 1
    if options.decision == "reject":
        return 0 if not merged and "rejected" in decisions else 1
    return 0
