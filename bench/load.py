"""One benchmark run: N incidents against a bot process, through the Slack and Managed Agents stand-ins.

The stand-ins run in this process; the bot under test (ours, `python -m bot run`, or the cookbook baseline,
`python -m bench.baseline`) runs as a child process, so its memory and CPU are its own. Incidents are opened by
`/incident` and approved by a click, both as Socket Mode envelopes; everything measured is read from the
stand-ins' own records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench.brain
from bench.incident import FIXED_EVENTS, chunk_count, make_incident
from bench.sightings import SlackSightings, event_markers
from blocks.ids import ActionId
from bot.demo import LEAD, ONCALL, YOU, Standins, start_standins
from bot.settings import REPO_ROOT, child_env
from standins.slack import SlackStandin

__all__ = ["RunSpec", "RunResult", "run_load"]

log = logging.getLogger(__name__)

OPENER, APPROVER = YOU, LEAD
COMMANDS = {"ours": ["-m", "bot", "run"], "baseline": ["-m", "bench.baseline"]}
SAMPLE_EVERY = 1.0
SUSTAINED_WINDOW = 10.0  # seconds; n posts in a window are n - 1 intervals, so 1/s exactly reads 1.00
CONNECT_TIMEOUT = 120.0  # seconds for the bot under test to import, provision and connect over Socket Mode
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_SESSION_PATH = re.compile(r"^/v1/sessions/(sesn_[A-Za-z0-9]+)")


@dataclass(frozen=True)
class RunSpec:
    """What to run: which bot, how many incidents, how long each investigation lasts."""

    bot: str  # "ours" or "baseline"
    incidents: int
    events: int = 200
    duration: float = 120.0  # seconds one investigation lasts
    posts_per_second: float = 1000.0  # the bot's SLACK_POSTS_PER_SECOND (1000: pacing out of the way)
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.bot

    @property
    def model_requests(self) -> int:
        return chunk_count(self.events) + (FIXED_EVENTS // 4 - 2)  # one per read, message and custom tool call

    @property
    def ramp(self) -> float:
        """Incidents are opened evenly over this many seconds, as alerts arrive in a storm."""
        return min(self.duration / 10, 12.0) if self.incidents > 1 else 0.0

    @property
    def human_delay(self) -> float:
        """How long after the card shows the approver clicks."""
        return max(0.2, self.duration / 60)


@dataclass
class RunResult:
    spec: RunSpec
    wall_s: float = 0.0
    completed: int = 0
    ack_ms: list[float] = field(default_factory=list)
    event_ms: list[float] = field(default_factory=list)
    events_expected: int = 0
    click_ms: list[float] = field(default_factory=list)
    slack_calls: int = 0
    slack_writes: int = 0
    slack_posts: int = 0
    max_channel_calls_1s: int = 0
    sustained_posts_per_s: float = 0.0
    ma_requests: int = 0
    ma_bytes: int = 0
    rss_idle_kb: int = 0
    rss_peak_kb: int = 0
    bot_cpu_s: float = 0.0
    harness_cpu_s: float = 0.0
    bytes_by_length: list[tuple[int, float]] = field(default_factory=list)  # (events so far, MA bytes) per session
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "spec"}
        return {"spec": {**self.spec.__dict__, "name": self.spec.name}, **data}


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


def _proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _self_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


class _Run:
    """The moving parts of one run and what is sampled while it goes."""

    def __init__(self, spec: RunSpec, standins: Standins) -> None:
        self.spec, self.standins = spec, standins
        self.slack, self.agents = standins.slack, standins.agents
        self.sightings = SlackSightings(ONCALL)
        self.clicked: dict[str, float] = {}  # card ts -> time the click was sent
        self.click_thread: dict[str, str] = {}  # card ts -> thread ts
        self.rss_peak = 0
        self.samples: dict[str, list[tuple[int, int]]] = {}  # session id -> [(events so far, MA bytes)]
        self._by_session: dict[str, list[Any]] = {}
        self._requests_seen = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finished: set[str] = set()

    # -- sampling ----------------------------------------------------------------------------------
    def sample(self, pid: int) -> None:
        self.rss_peak = max(self.rss_peak, _proc_rss_kb(pid))
        requests = self.agents.requests
        for record in requests[self._requests_seen:]:
            m = _SESSION_PATH.match(record.path)
            if m:
                self._by_session.setdefault(m.group(1), []).append(record)
        self._requests_seen = len(requests)
        for sid, session in self.agents.sessions.items():
            total = sum(r.response_bytes for r in self._by_session.get(sid, ()))
            self.samples.setdefault(sid, []).append((len(session.events), total))

    def click_new_cards(self) -> None:
        self.sightings.feed(self.slack.calls, ActionId.APPROVE)
        for thread, ts, _at in self.sightings.cards:
            if ts not in self.click_thread:
                self.click_thread[ts] = thread
                self._spawn(self._click_later(ts))

    async def _click_later(self, ts: str) -> None:
        await asyncio.sleep(self.spec.human_delay)
        self.clicked[ts] = time.monotonic()
        try:
            await self.slack.click(APPROVER, ONCALL, ts, ActionId.APPROVE)
        except LookupError:
            self.clicked.pop(ts, None)  # the card changed under the click (already decided): nothing to time

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- progress ----------------------------------------------------------------------------------
    def finished_sessions(self) -> int:
        """Sessions whose turn ended after a decision and whose last message Slack shows."""
        for session in self.agents.sessions.values():
            if session.id in self._finished:
                continue
            events = session.events
            idle = [e for e in events if e["type"] == "session.status_idle"]
            if not idle or (idle[-1].get("stop_reason") or {}).get("type") != "end_turn":
                continue
            messages = [m for m, _ in event_markers(e for e in events if e["type"] == "agent.message")]
            thread = str(session.metadata.get("slack_thread_ts") or "")
            if messages and messages[-1] in self.sightings.first.get(thread, {}):
                self._finished.add(session.id)
        return len(self._finished)


async def run_load(spec: RunSpec, work: Path) -> RunResult:
    """Run one load and return its figures."""
    work.mkdir(parents=True, exist_ok=True)
    incident = make_incident(work / "incident", chunks=chunk_count(spec.events))
    standins = await start_standins(
        incident_dir=incident, work_dir=work, pace=spec.duration / spec.model_requests, brain=bench.brain,
        posts_per_second=spec.posts_per_second,
        incidents_per_user_per_hour=0, incidents_per_channel_per_hour=0,  # one opener types every incident
    )  # fmt: skip
    run = _Run(spec, standins)
    result = RunResult(spec)
    proc = None
    log_file = (work / "bot.log").open("wb")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *COMMANDS[spec.bot], env=child_env(standins.settings, PYTHONPATH=str(REPO_ROOT)),
            cwd=str(work), stdout=log_file, stderr=asyncio.subprocess.STDOUT)
        await _connected(run.slack, proc, log=work / "bot.log")
        await asyncio.sleep(1.0)  # let start-up (provisioning, imports) settle before the idle reading
        rss_idle, cpu0, self_cpu0, t0 = _proc_rss_kb(proc.pid), _proc_cpu_s(proc.pid), _self_cpu_s(), time.monotonic()
        acks_before = len(run.slack.envelope_acks)
        opener = asyncio.create_task(_open_incidents(run.slack, spec))
        deadline = t0 + spec.ramp + spec.duration * 2 + 60
        next_sample = t0
        while time.monotonic() < deadline:
            await asyncio.sleep(SAMPLE_EVERY / 5)
            run.click_new_cards()
            if proc.returncode is not None:
                result.notes.append(f"the bot exited with {proc.returncode} (see {work / 'bot.log'})")
                break
            if time.monotonic() >= next_sample:
                next_sample += SAMPLE_EVERY
                run.sample(proc.pid)
                if opener.done() and run.finished_sessions() >= spec.incidents:
                    break
        run.sample(proc.pid)
        result.wall_s = time.monotonic() - t0
        if proc.returncode is None:
            result.bot_cpu_s = _proc_cpu_s(proc.pid) - cpu0
        result.harness_cpu_s = _self_cpu_s() - self_cpu0
        await opener
        result.rss_idle_kb, result.rss_peak_kb = rss_idle, run.rss_peak
        _measure(run, result, acks_before)
    finally:
        if proc is not None and proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 20)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        log_file.close()
        await standins.stop()
    (work / "result.json").write_text(json.dumps(result.as_dict(), indent=1))
    return result


async def _connected(slack: SlackStandin, proc: asyncio.subprocess.Process, *, log: Path) -> None:
    """Until the bot under test holds a Socket Mode connection; only its exit or the deadline ends the wait."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CONNECT_TIMEOUT
    while proc.returncode is None:
        if (left := deadline - loop.time()) <= 0:
            raise TimeoutError(f"the bot did not connect over Socket Mode within {CONNECT_TIMEOUT:g} s (see {log})")
        with contextlib.suppress(TimeoutError):
            await slack.wait_for(lambda s: s.live_connections > 0, timeout=min(left, 1.0))
            return
    raise RuntimeError(f"the bot exited with {proc.returncode} before it connected (see {log})")


async def _open_incidents(slack: SlackStandin, spec: RunSpec) -> None:
    gap = spec.ramp / max(spec.incidents - 1, 1)
    start = time.monotonic()
    sent = []
    for i in range(spec.incidents):
        await asyncio.sleep(max(0.0, start + i * gap - time.monotonic()))
        text = f"bench {i + 1}/{spec.incidents}: checkout pods OOMKilled, CrashLoopBackOff"
        sent.append(asyncio.create_task(slack.slash_command(OPENER, "/incident", text, channel_id=ONCALL)))
    await asyncio.gather(*sent)


def _measure(run: _Run, result: RunResult, acks_before: int) -> None:
    spec, slack, agents = run.spec, run.slack, run.agents
    result.completed = run.finished_sessions()
    if result.completed < spec.incidents:
        result.notes.append(f"{spec.incidents - result.completed} of {spec.incidents} incidents did not finish in time")
    result.ack_ms = [(a.acked_at - a.sent_at) * 1000 for a in slack.envelope_acks[acks_before:]
                     if a.type == "slash_commands" and a.acked_at is not None]
    missed = 0
    for session in agents.sessions.values():
        thread = str(session.metadata.get("slack_thread_ts") or "")
        seen = run.sightings.first.get(thread, {})
        for marker, event_id in event_markers(session.events):
            result.events_expected += 1
            if marker in seen:
                result.event_ms.append((seen[marker] - session.emitted_at[event_id]) * 1000)
            else:
                missed += 1
    if missed:
        result.notes.append(f"{missed} of {result.events_expected} agent events never showed in Slack")
    result.click_ms = _click_latencies(run)
    calls = slack.calls
    result.slack_calls = len(calls)
    result.slack_writes = sum(c.method in ("chat.postMessage", "chat.update") for c in calls)
    result.slack_posts = sum(c.method == "chat.postMessage" for c in calls)
    in_channel = [c for c in calls if c.args.get("channel") == ONCALL]
    result.max_channel_calls_1s = _max_in_window([c.at for c in in_channel], 1.0)
    posts = [c.at for c in in_channel if c.method == "chat.postMessage"]
    result.sustained_posts_per_s = max(0, _max_in_window(posts, SUSTAINED_WINDOW) - 1) / SUSTAINED_WINDOW
    result.ma_requests = len(agents.requests)
    result.ma_bytes = sum(r.response_bytes for r in agents.requests)
    by_length: dict[int, list[int]] = {}
    for samples in run.samples.values():
        for length, total in samples:
            by_length.setdefault(length, []).append(total)
    result.bytes_by_length = [(n, sum(v) / len(v)) for n, v in sorted(by_length.items())]


def _click_latencies(run: _Run) -> list[float]:
    """Click sent → the request carrying the approval's user.custom_tool_result reaches the stand-in."""
    by_thread = {str(s.metadata.get("slack_thread_ts") or ""): s for s in run.agents.sessions.values()}
    answered: dict[tuple[str, str], float] = {}
    for record in run.agents.requests:
        if record.method != "POST" or not record.path.endswith("/events") or not isinstance(record.json, dict):
            continue
        m = _SESSION_PATH.match(record.path)
        for ev in record.json.get("events") or []:
            if m and isinstance(ev, dict) and ev.get("type") == "user.custom_tool_result":
                answered.setdefault((m.group(1), str(ev.get("custom_tool_use_id"))), record.at)
    out = []
    for ts, clicked_at in run.clicked.items():
        session = by_thread.get(run.click_thread[ts])
        if session is None:
            continue
        asks = [e["id"] for e in session.events if e["type"] == "agent.custom_tool_use" and e.get("name") == "request_approval"]
        times = [answered[(session.id, a)] for a in asks if (session.id, a) in answered]
        if times and times[0] >= clicked_at:
            out.append((times[0] - clicked_at) * 1000)
    return out


def _max_in_window(times: list[float], width: float) -> int:
    """The most timestamps in any window of `width` seconds."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
