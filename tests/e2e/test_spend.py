"""Every incident's session has a spend ceiling: the root message shows what the investigation has cost at list
price, and when the ceiling stops the agent the thread says so in plain words."""

from __future__ import annotations

from pathlib import Path

from bot.demo import start_world

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, open_incident, thread

TIMEOUT = 60


def _root(world, root_ts: str) -> str:
    return block_text(next(m for m in world.slack.messages(ONCALL) if m["ts"] == root_ts))


async def test_the_root_message_shows_the_spend_against_the_ceiling(world):
    root_ts, run = await open_incident(world, YOU, "checkout pods OOMKilled")
    await world.slack.wait_for(lambda s: "Spend" in _root(world, root_ts), timeout=TIMEOUT)
    session = world.agents.sessions[run.session_id]
    await world.agents.wait_for(lambda a: session.list_cost_cents > 0, timeout=TIMEOUT)
    assert "of $25.00" in _root(world, root_ts)


async def test_the_thread_says_plainly_when_the_ceiling_stopped_the_agent(work_dir: Path):
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, session_budget_usd="0.02")
    try:
        root_ts, run = await open_incident(world, YOU, "checkout pods OOMKilled")
        await run.wait_finished(timeout=TIMEOUT)
        assert run.state.stop_reason == "budget_reached"
        said = "\n".join(block_text(m) for m in thread(world, root_ts))
        assert "spend ceiling of $0.02" in said and "SESSION_BUDGET_USD" in said
        assert "of $0.02" in _root(world, root_ts)
    finally:
        await world.stop()
