"""`python -m bot demo`: the real bot against the local Slack and Managed Agents stand-ins, no credentials."""

from __future__ import annotations

import functools
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
from bot.demo_terminal import pending_card, print_message, thread_snapshot
from bot.transcript import message_lines

__all__ = ["DemoOptions", "run_demo", "DemoWorld", "start_world", "INCIDENTS", "SAMPLE_ALERTS", "post_sample_alert"]

INCIDENTS = {"oom": "checkout-oom", "checkout-oom": "checkout-oom", "2277": "incident-2277"}
ONCALL, ALERTS = "C0ONCALL", "C0ALERTS"
YOU, BYSTANDER = "U0ONCALL", "U0BYSTANDER"
LEAD = "U0LEAD"  # a second approver, who did not open the demo's incident (the two-person rule needs one)
SAMPLE_ALERTS = REPO_ROOT / "fixtures" / "alerts"


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
    slack_port: int = 0,
    **overrides: Any,
) -> DemoWorld:
    """Start the Slack and Managed Agents stand-ins on loopback, and the real bot pointed at them."""
    from standins.managed_agents import ManagedAgentsStandin
    from standins.slack import SlackStandin

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ[var] = ""  # slack_sdk hands proxies to aiohttp explicitly; loopback needs none
    slack = SlackStandin(
        users={
            YOU: {"name": "you", "real_name": "You (on call)"},
            BYSTANDER: {"name": "sam", "real_name": "Sam"},
            LEAD: {"name": "alex", "real_name": "Alex (SRE lead)"},
        },
        usergroups={"S0SRE": [YOU, LEAD]},
        channels={ONCALL: "oncall", ALERTS: "alerts"},
        port=slack_port,
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
    _describe_members(slack, settings)
    for source in sorted(p.stem for p in SAMPLE_ALERTS.glob("*.json")):
        slack.ui.add_action(f"alert:{source}", f"Fire a {_integration(source)} alert",
                            functools.partial(post_sample_alert, slack, source), group="Sample alerts")
    bot = build_bot(settings)
    try:
        await bot.start()
    except BaseException:
        await agents.stop()
        await slack.stop()
        raise
    return DemoWorld(slack=slack, agents=agents, bot=bot, settings=settings)


def _describe_members(slack: Any, settings: Settings) -> None:
    """Say on the page who may decide, as the bot's settings have it (the stand-in itself knows no approvers)."""
    ws = slack.workspace
    for uid, info in ws.users.items():
        if info.get("is_bot"):
            continue
        allowed = uid in settings.approvers or any(uid in ws.usergroups.get(g, ()) for g in settings.approvers)
        info["title"] = "not an approver" if not allowed else \
            "approver, but not of incidents they open" if settings.approval_self_deny else "approver"


async def _open_incident(world: DemoWorld, options: DemoOptions, incident_dir: Path, name: str) -> None:
    """Open the demo's incident: the integration's sample alert in #alerts, or /incident typed in #oncall."""
    if options.alert:
        await _post_sample_alert(world, options.alert)
        return
    alert = json.loads((incident_dir / "alert.json").read_text())
    title = alert.get("event", {}).get("data", {}).get("title") or name
    print(f"\n> /incident {title}   (typed by {YOU} in #oncall)")
    await world.slack.slash_command(YOU, "/incident", title, channel_id=ONCALL)


async def run_demo(options: DemoOptions) -> int:
    """Open the incident, show the thread as it grows, decide the approval, and report how it ended."""
    name = INCIDENTS.get(options.incident, options.incident)
    incident_dir = REPO_ROOT / "fixtures" / name
    if not incident_dir.is_dir():
        print(f"unknown incident {options.incident!r}; try one of: oom, 2277", file=sys.stderr)
        return 2
    work_dir = options.work_dir or Path(tempfile.mkdtemp(prefix="incident-bot-demo-"))
    print(f"Starting the local Slack and Managed Agents stand-ins (work dir {work_dir})…")
    overrides = {"approval_self_deny": True} if options.two_person else {}
    world = await start_world(incident_dir=incident_dir, work_dir=work_dir, pace=options.pace, posts_per_second=20,
                              slack_port=options.port, **overrides)
    try:
        if not options.headless:
            from bot.demo_live import run_live

            return await run_live(world, options, opening=lambda: _open_incident(world, options, incident_dir, name),
                                  report=lambda run: _report(world, run, options))
        await _open_incident(world, options, incident_dir, name)
        return await _run_headless(world, options)
    finally:
        await world.stop()


async def _run_headless(world: DemoWorld, options: DemoOptions) -> int:
    """Decide the first approval as told, wait for the end, and print the thread as a transcript."""
    slack = world.slack
    await slack.wait_for(lambda s: bool(s.messages(ONCALL)), timeout=30)
    root_ts = slack.messages(ONCALL)[0]["ts"]
    run = None
    decided = False
    while True:
        if run is None:
            run = next(iter(world.bot.manager.runs.values()), None)
        snap = thread_snapshot(slack, ONCALL, root_ts)
        card = pending_card(slack, ONCALL, root_ts)
        if card is not None and not decided:
            await decide(slack, card, approve=options.decision == "approve", user=YOU,
                         reason="not now: rejected from the demo")
            decided = True
        if run is not None and run.state.finished:
            await run.publisher.flush(timeout=30)
            if thread_snapshot(slack, ONCALL, root_ts) == snap:
                break
            continue
        await slack.wait_for(lambda s: thread_snapshot(s, ONCALL, root_ts) != snap, timeout=120)
    print("\n--- the thread in #oncall, as it ends ---")
    for msg in slack.thread(ONCALL, root_ts):
        print_message(msg, edited=False)
    return await _report(world, run, options)


async def decide(slack: Any, card: dict[str, Any], *, approve: bool, user: str, reason: str = "",
                 wait_modal: bool = True) -> str | None:
    """Click Approve or Reject on a card as `user`; a Reject's reason modal is submitted with `reason`.

    With wait_modal=False a Reject only clicks, and returns the id of the reason modal it opened (or None).
    """
    action = ActionId.APPROVE if approve else ActionId.REJECT
    print(f"\n> {user} clicks {'Approve' if approve else 'Reject'}")
    before = {v["id"] for v in slack.views.modals(user)}
    await slack.click(user, ONCALL, card["ts"], action)
    if approve:
        return None
    # the bot asks why in a modal; the agent reads the answer
    await slack.wait_for(lambda s: any(v["id"] not in before for v in s.views.modals(user)), timeout=30)
    modal = slack.views.modals(user)[-1]
    if wait_modal:
        await submit_reason(slack, user, modal["id"], reason)
    return str(modal["id"])


async def submit_reason(slack: Any, user: str, view_id: str, reason: str) -> None:
    """Submit the reason modal of a Reject."""
    values = {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
    await slack.submit_view(user, view_id, values)


def _integration(source: str) -> str:
    """The name an integration posts under, e.g. "PagerDuty"."""
    event = json.loads((SAMPLE_ALERTS / f"{source}.json").read_text())
    return str((event.get("bot_profile") or {}).get("name") or event.get("username") or source)


async def post_sample_alert(slack: Any, source: str) -> str:
    """Post an integration's sample alert (fixtures/alerts/<source>.json) in #alerts as that integration; its ts."""
    event = json.loads((SAMPLE_ALERTS / f"{source}.json").read_text())
    return await slack.post_message(
        event.get("user") or "U0INTEGRATION", ALERTS, event.get("text") or "",
        bot_id=event.get("bot_id") or "B0INTEGRATION", attachments=event.get("attachments"), blocks=event.get("blocks"),
        username=_integration(source),
    )  # fmt: skip


async def _post_sample_alert(world: DemoWorld, source: str) -> None:
    """Post an integration's sample alert message in #alerts, as that integration would, and show the reply."""
    event = json.loads((SAMPLE_ALERTS / f"{source}.json").read_text())
    name = (event.get("bot_profile") or {}).get("name") or source
    print(f"\n> {name} posts an alert in #alerts")
    for line in message_lines(event):
        print(f"  {line}")
    ts = await post_sample_alert(world.slack, source)
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
