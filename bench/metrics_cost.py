"""`python -m bench.metrics_cost`: what the metrics cost on the event path, next to what the path itself costs.

One real incident runs against the stand-ins (the bot with HEALTH_PORT, so its metrics are the real ones); its
session's events are then folded again, reduce + render as IncidentRun.apply does, with and without the metric
work apply and the publisher add for each event (a counter, an arrival time, a histogram observation). Also the
cost of one /metrics scrape, which runs on the event loop, with the registry a busy replica would hold."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from blocks.ids import ActionId
from bot.demo import ONCALL, YOU, start_world
from bot.ops.metrics import BotMetrics
from bot.run.reducer import reduce
from bot.run.renderer import ThreadMemo, render_root, render_thread
from bot.run.state import IncidentState
from bot.settings import REPO_ROOT

ROUNDS = 7


def _fold(events: list, metrics: BotMetrics | None) -> float:
    """Seconds to fold and render every event once, as apply does (the publisher's write left out)."""
    state = IncidentState(session_id="sesn_x", title="t", started_at=datetime.now(timezone.utc))
    memo, arrivals = ThreadMemo(), []
    start = time.perf_counter()
    for event in events:
        arrived = time.monotonic()
        if metrics is not None:
            metrics.folded(local=False)
        state = reduce(state, event)
        render_root(state)
        render_thread(state, memo)
        if metrics is not None:
            arrivals.append(arrived)
    if metrics is not None:
        metrics.shown(arrivals)
    return time.perf_counter() - start


def _card(thread: list[dict]) -> str | None:
    """The ts of the message with an Approve button."""
    for msg in thread:
        for block in msg.get("blocks") or []:
            if any(e.get("action_id") == ActionId.APPROVE for e in block.get("elements") or [] if isinstance(e, dict)):
                return str(msg["ts"])
    return None


async def _incident(work: Path) -> tuple[list, BotMetrics]:
    world = await start_world(incident_dir=REPO_ROOT / "fixtures" / "checkout-oom", work_dir=work, health_port=0)
    try:
        await world.slack.slash_command(YOU, "/incident", "checkout pods OOMKilled", channel_id=ONCALL)
        await world.slack.wait_for(lambda s: world.bot.incidents.runs, timeout=60)
        run = next(iter(world.bot.incidents.runs.values()))
        await world.slack.wait_for(lambda s: run.state.pending_approvals(), timeout=60)
        await world.slack.wait_for(lambda s: _card(s.thread(ONCALL, run.thread.ts)) is not None, timeout=60)
        ts = _card(world.slack.thread(ONCALL, run.thread.ts))
        await world.slack.click(YOU, ONCALL, ts, ActionId.APPROVE)
        await run.wait_finished(timeout=60)
        events = [e async for e in world.bot.anthropic.beta.sessions.events.list(run.session_id, limit=1000)]
        return events, world.bot.metrics
    finally:
        await world.stop()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        events, live = asyncio.run(_incident(Path(tmp) / "work"))
    n = len(events)
    bare = min(_fold(events, None) for _ in range(ROUNDS))
    measured = min(_fold(events, BotMetrics()) for _ in range(ROUNDS))
    metrics = BotMetrics()
    per_op = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(10_000):
            arrived = time.monotonic()
            metrics.folded(local=False)
            metrics.shown([arrived])
        per_op.append((time.perf_counter() - start) / 10_000)
    scrapes = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        live.exposition(None)
        scrapes.append(time.perf_counter() - start)
    print(f"events in the incident: {n}")
    print(f"reduce + render per event: {bare / n * 1e6:.1f} µs without metrics, {measured / n * 1e6:.1f} µs with "
          f"({(measured - bare) / bare * 100:+.1f} %)")
    print(f"the metric work alone per event: {min(per_op) * 1e6:.2f} µs (median {statistics.median(per_op) * 1e6:.2f})")
    print(f"one /metrics scrape: {min(scrapes) * 1e3:.2f} ms (median {statistics.median(scrapes) * 1e3:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
