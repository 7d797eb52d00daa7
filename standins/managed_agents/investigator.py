"""The offline, rule-based investigator that stands in for Claude in the local Managed Agents stand-in.

It reads the mounted incident evidence for real (bash, read, the bot's custom tools), matches a failure
signature in the logs to a runbook, and proposes that runbook's fix as a pull request that a human approves.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from standins.managed_agents import investigator_evidence as ev
from standins.managed_agents import investigator_latency, investigator_live as live, investigator_oom
from standins.managed_agents.investigator_evidence import Context, Finding
from standins.managed_agents.investigator_pr import propose

__all__ = ["follow_up", "investigate"]

INTRO = (
    "I am the offline, rule-based investigator of the local Managed Agents stand-in, not Claude. "
    "I read the incident evidence with real commands and the bot's tools, match what I find against fixed "
    "runbook signatures, and never merge without a human's approval."
)
NOT_CLAUDE = "(Offline rule-based investigator, not Claude.)"


@dataclass(frozen=True)
class Signature:
    name: str
    pattern: str
    playbook: Callable[[Context, str, str], Awaitable[Finding | None]]


SIGNATURES = (
    Signature("OOMKilled", investigator_oom.SIGNATURE, investigator_oom.investigate),
    Signature("connection pool exhausted", investigator_latency.SIGNATURE, investigator_latency.investigate),
)


async def investigate(ctx: Context, message: str) -> None:
    """Investigate the incident described by the first user message (an alert JSON or free text)."""
    memory = ctx.memory
    await ctx.say(f"{INTRO}\nLooking into: {ev.alert_title(message)}")
    # With Prometheus among its tools, the alert's own measure first: the numbers Prometheus holds now.
    rule = live.alert_rule(message) if live.PROMETHEUS in ctx.tools else None
    seen = await live.look(ctx, rule) if rule is not None else None
    ev.learn_root(ctx, message)  # where the files are is what the message says, nothing else
    if ev.root(ctx):
        await ctx.bash(f"ls -R {shlex.quote(ev.root(ctx))}")
    for repository in sorted(ctx.repositories):  # cloned by the platform: its recent history is evidence too
        await ctx.bash(f"git -C {shlex.quote(repository)} log --oneline -5")
    logs = ev.mounted(ctx, "logs")
    hits: dict[str, dict[str, int]] = {}
    for signature in SIGNATURES if logs else ():
        found = await ctx.bash(f"grep -c -H -E {shlex.quote(signature.pattern)} {' '.join(map(shlex.quote, logs))}")
        hits[signature.name] = {name: n for name, n in ev.parse_counts(found).items() if n}
    matched = next((s for s in SIGNATURES if hits.get(s.name)), None)
    if matched is None and rule is not None and seen is not None:
        await _conclude(ctx, await live.investigate(ctx, rule, seen), memory, f"`{rule.measure}` on Prometheus")
        return
    if matched is None:
        await _unrecognised(ctx, logs, memory)
        return
    counts = hits[matched.name]
    log = next(path for path in logs if PurePosixPath(path).name == max(counts, key=counts.__getitem__))
    service = PurePosixPath(log).name.split(".")[0]  # logs are named after the service that wrote them
    await ctx.say(f"Signature: {matched.name} ({counts[PurePosixPath(log).name]:,} lines in {ev.rel(ctx, log)}); "
                  f"service {service}.")
    await _conclude(ctx, await matched.playbook(ctx, log, service), memory, f"{matched.name} in {ev.rel(ctx, log)}")


async def _conclude(ctx: Context, finding: Finding | None, memory: dict[str, Any], seen: str) -> None:
    """State the finding and propose its fix, or remember that there was nothing to fix."""
    if finding is None:
        memory.update(root_cause=f"{seen} looked into; no runbook fix applied", pr_state="none")
        return
    memory["root_cause"] = finding.root_cause
    await ctx.say("\n".join([finding.root_cause, *(f"- {note}" for note in finding.notes)]))
    await propose(ctx, finding, memory)


async def follow_up(ctx: Context, message: str) -> None:
    """Answer a later message briefly from what this session found."""
    memory = ctx.memory
    ev.learn_root(ctx, message)  # a correction of where the files are
    if "root_cause" not in memory:
        await ctx.say(f"{NOT_CLAUDE} I have no findings in this session yet.")
        return
    pr = memory.get("pr_number")
    state = f"PR #{pr}: {memory['pr_state']}." if pr is not None else f"PR: {memory.get('pr_state', 'none')}."
    await ctx.say(f"{NOT_CLAUDE} I answer from what this session found, not from new analysis.\n"
                  f"{memory['root_cause']}\n{state}")


async def _unrecognised(ctx: Context, logs: list[str], memory: dict[str, Any]) -> None:
    """Say what was looked at, and that no runbook signature matched."""
    books = [ev.rel(ctx, p) for p in ev.mounted(ctx, "runbooks")]
    looked = ", ".join(ev.rel(ctx, p) for p in logs) or "no log files (none are mounted)"
    searched = "; ".join(f"`{s.pattern}`" for s in SIGNATURES)
    memory.update(root_cause=f"No runbook signature matched in {looked}.", pr_state="none (nothing to fix)")
    await ctx.say(f"I looked at {looked} and searched them for {searched}. No runbook signature matched "
                  f"(runbooks mounted: {', '.join(books) or 'none'}), so I propose no change; "
                  "this one needs a human.")

