"""`python -m bot demo`: the real bot against the local Slack and Managed Agents stand-ins, no credentials."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.demo.live import run_live
from bot.demo.live_metrics import LiveMetrics, missing_binaries, start_live_metrics
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
    if options.live_metrics:
        return await _run_live_metrics(options)
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


async def _run_live_metrics(options: DemoOptions) -> int:
    """The same demo, opened by the real Prometheus and Alertmanager after a deploy degrades checkout's latency."""
    missing = await asyncio.to_thread(missing_binaries)
    if missing:
        print(f"--live-metrics runs the real Prometheus and Alertmanager, and {' and '.join(missing)} "
              f"{'is' if len(missing) == 1 else 'are'} not installed here. On Debian or Ubuntu: "
              "`apt-get install prometheus prometheus-alertmanager` (their "
              "services need not run: the demo starts the binaries itself), then try again. `python -m bot demo` "
              "runs without them.", file=sys.stderr)  # fmt: skip
        return 2
    work_dir = options.work_dir or Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="incident-bot-live-"))
    print(f"Starting an exporter, Prometheus, Alertmanager and the local stand-ins (work dir {work_dir})…")
    overrides = {"approval_self_deny": True} if options.two_person else {}
    live = await start_live_metrics(work_dir, pace=options.pace, posts_per_second=20, slack_port=options.port,
                                    **overrides)  # fmt: skip
    world = live.world
    world.slack.ui.add_action("live:deploy", "Deploy the N+1 commit (checkout slows down)", live.deploy,
                              group="Live metrics")  # fmt: skip
    world.slack.ui.add_action("live:rollback", "Roll back (checkout is fast again)", live.roll_back,
                              group="Live metrics")  # fmt: skip
    print(f"Prometheus {live.prometheus.url} scrapes checkout's p99 every second; Alertmanager "
          f"{live.alertmanager.url} sends its webhook to the bot.")  # fmt: skip
    rollout = asyncio.create_task(_roll_out_when_merged(live))
    try:
        if not options.headless:
            return await run_live(world, options, opening=lambda: _deploy(live),
                                  report=lambda run: _report(world, run, options))  # fmt: skip
        await _deploy(live)
        code = await _run_headless(world, options)
        if code == 0 and options.decision == "approve":  # merged: the rollout resolves the alert
            try:
                await world.slack.wait_for(lambda s: "Resolved upstream" in json.dumps(s.messages(ONCALL)[0]["blocks"]),
                                           timeout=60)  # fmt: skip
            except TimeoutError:
                print("Alertmanager did not resolve the alert within a minute.")
                return 1
            print("Alertmanager resolved the alert: the root message shows it resolved upstream.")
        return code
    finally:
        rollout.cancel()
        await asyncio.gather(rollout, return_exceptions=True)
        await live.stop()


async def _deploy(live: LiveMetrics) -> None:
    print("\n> checkout 2.19.0 (commit a3f9c21, the N+1 of incident-2277) is deployed: its p99 goes from 80 ms to "
          "2.4 s; Prometheus' rule p99 > 500 ms will fire and Alertmanager will post to the bot.")  # fmt: skip
    await live.deploy()


async def _roll_out_when_merged(live: LiveMetrics) -> None:
    """Once a revert merged, it rolls out: checkout is fast again, and Alertmanager resolves the alert."""
    runs = live.world.bot.incidents.runs
    await live.world.slack.wait_for(lambda s: any(pr.merged for r in runs.values() for pr in r.state.prs.values()),
                                    timeout=24 * 3600)  # fmt: skip
    print("\n> The revert merged and rolls out: checkout's p99 is back to 80 ms.")
    await live.roll_back()


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
