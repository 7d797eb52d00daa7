"""The benchmark's agent: a paced, rule-based investigation (not Claude) that really reads the mounted chunks.

It reads every log chunk, counts the OOM kills and the heap peak it finds, reports every few chunks, asks for
the memory metric, opens the runbook's fix as a PR, asks a human to approve it and merges only if approved.
Every message carries a marker `[mN]` so the harness can see when Slack first shows it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import PurePosixPath
from typing import Any

from standins.managed_agents.investigator_evidence import alert_title, learn_root, root, tool_json
from standins.managed_agents.investigator_patch import unified_diff

__all__ = ["follow_up", "investigate", "REPORTS"]

REPORTS = 4  # progress messages during the reading
DEPLOYMENT = "k8s/checkout/deployment.yaml"
_KILL = re.compile(r"OOMKilled|exit code 137")
_HEAP = re.compile(r"heap_mb=([0-9.]+)")


class _Voice:
    """Numbers the agent's messages: [m0], [m1], …"""

    def __init__(self, ctx: Any) -> None:
        self.ctx, self.n = ctx, 0

    async def say(self, text: str) -> None:
        await self.ctx.say(f"[m{self.n}] {text}")
        self.n += 1


async def investigate(ctx: Any, message: str) -> None:
    """Read every chunk, report, propose the fix and follow the human's decision."""
    voice = _Voice(ctx)
    if not learn_root(ctx, message):  # the files are where the first message says; the baseline's names none
        ctx.memory["evidence_root"] = os.path.commonpath([str(PurePosixPath(p).parent) for p in ctx.files])
    chunks = sorted(p for p in ctx.files if p.startswith(f"{root(ctx)}/logs/checkout.part-"))
    await voice.say(f"Benchmark load investigator of the local stand-in, not Claude. Reading {len(chunks)} "
                    f"log chunks for: {alert_title(message)[:200]}")
    kills, peak = 0, 0.0
    every = max(1, len(chunks) // REPORTS)
    for i, path in enumerate(chunks, 1):
        text = await ctx.read(path)
        kills += len(_KILL.findall(text))
        peak = max([peak, *(float(v) for v in _HEAP.findall(text))])
        if i % every == 0 and i // every <= REPORTS:
            await voice.say(f"After {i} of {len(chunks)} chunks: {kills} OOM kills, heap peak {peak:.1f} MB.")
    metric = await ctx.call_tool("get_metrics", {"service": "checkout", "metric": "memory_working_set_bytes"})
    points = (tool_json(metric) or {}).get("points", []) if not metric.is_error else []
    top = max((p.get("v", 0) for p in points if isinstance(p, dict)), default=0) / 2**20
    old = ctx.files[f"{root(ctx)}/repo/{DEPLOYMENT}"].decode()
    diff = unified_diff(DEPLOYMENT, old, old.replace("memory: 128Mi", "memory: 512Mi"))
    title = "checkout: raise memory request and limit 128Mi -> 512Mi (benchmark)"
    body = f"{kills} OOM kills, heap peak {peak:.1f} MB, working set peak {top:.1f} MiB. (Benchmark agent, not Claude.)"
    opened = await ctx.call_tool("open_pull_request", {"title": title, "body": body, "diff": diff})
    pr = tool_json(opened) if not opened.is_error else None
    number = pr.get("pr_number") if isinstance(pr, dict) else None
    answer = await ctx.call_tool("request_approval", {"summary": f"[approval] {body}", "pr_number": number})
    verdict = tool_json(answer) if not answer.is_error else None
    if isinstance(verdict, dict) and verdict.get("decision") == "approved":
        merged = await ctx.call_tool("merge_pull_request", {"pr_number": number})
        await voice.say(f"PR #{number} approved by {verdict.get('approver')}: {merged.text[:200]}")
    else:
        await voice.say(f"PR #{number} not approved ({json.dumps(verdict)[:200]}); nothing merged.")


async def follow_up(ctx: Any, message: str) -> None:
    """The benchmark sends no follow-ups; answer briefly if one comes."""
    await ctx.say("(Benchmark load investigator, not Claude.) I only run the benchmark's investigation.")
