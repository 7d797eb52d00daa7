"""`python -m bot demo`: the real bot against the local Slack and Managed Agents stand-ins, no credentials."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.demo.live import run_live
from bot.demo.options import INCIDENTS, DemoOptions
from bot.demo.terminal import decide, pending_card, print_message, thread_snapshot
from bot.demo.transcript import message_lines
from bot.demo.world import ALERTS, ONCALL, YOU, DemoWorld, post_sample_alert, sample_alert, start_world
from bot.run.incident import IncidentRun
from bot.settings import REPO_ROOT

__all__ = ["run_demo"]


async def _open_incident(world: DemoWorld, options: DemoOptions, incident_dir: Path, name: str) -> None:
    """Open the demo's incident: the integration's sample alert in #alerts, or /incident typed in #oncall."""
    if options.alert:
        await _post_sample_alert(world, options.alert)
        return
    alert = await asyncio.to_thread(_read_json, incident_dir / "alert.json")
    title = alert.get("event", {}).get("data", {}).get("title") or name
    print(f"\n> /incident {title}   (typed by {YOU} in #oncall)")
    await world.slack.slash_command(YOU, "/incident", title, channel_id=ONCALL)


async def run_demo(options: DemoOptions) -> int:
    """Open the incident, show the thread as it grows, decide the approval, and report how it ended."""
    name = INCIDENTS.get(options.incident, options.incident)
    incident_dir = REPO_ROOT / "fixtures" / name
    if not await asyncio.to_thread(incident_dir.is_dir):
        print(f"unknown incident {options.incident!r}; try one of: oom, 2277", file=sys.stderr)
        return 2
    work_dir = options.work_dir or Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="incident-bot-demo-"))
    print(f"Starting the local Slack and Managed Agents stand-ins (work dir {work_dir})…")
    overrides = {"approval_self_deny": True} if options.two_person else {}
    world = await start_world(incident_dir=incident_dir, work_dir=work_dir, pace=options.pace, posts_per_second=20,
                              slack_port=options.port, **overrides)
    try:
        if not options.headless:
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
            run = next(iter(world.bot.incidents.runs.values()), None)
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


async def _post_sample_alert(world: DemoWorld, source: str) -> None:
    """Post an integration's sample alert message in #alerts, as that integration would, and show the reply."""
    event = await asyncio.to_thread(sample_alert, source)
    name = (event.get("bot_profile") or {}).get("name") or source
    print(f"\n> {name} posts an alert in #alerts")
    for line in message_lines(event):
        print(f"  {line}")
    ts = await post_sample_alert(world.slack, source)
    await world.slack.wait_for(lambda s: len(s.thread(ALERTS, ts)) > 1, timeout=30)
    reply = world.slack.thread(ALERTS, ts)[-1]
    print(f"\n[bot, in the alert's thread] {reply.get('text', '')}")


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


async def _report(world: DemoWorld, run: IncidentRun | None, options: DemoOptions) -> int:
    merged = [n for n in run.state.prs if await world.bot.prs.is_merged(run.session_id, n)] if run else []
    decisions = [a.decision.outcome for a in run.state.approvals.values() if a.decision] if run else []
    print("\n--- outcome ---")
    print(f"session {run.session_id if run else '-'}: status {run.state.status.value if run else '-'}")
    print(f"decisions: {', '.join(decisions) or 'none'}; merged PRs: {', '.join(f'#{n}' for n in merged) or 'none'}")
    if run is not None:
        print(world.bot.prs.location(run.session_id))
    if options.decision == "approve":
        return 0 if merged and "approved" in decisions else 1
    if options.decision == "reject":
        return 0 if not merged and "rejected" in decisions else 1
    return 0
