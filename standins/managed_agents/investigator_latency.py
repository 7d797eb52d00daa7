"""Latency playbook: find the deploy behind a p99 regression, recognise an N+1, revert it per runbooks/latency.md."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta

from standins.managed_agents import investigator_evidence as ev
from standins.managed_agents.investigator_evidence import Context, Finding
from standins.managed_agents.investigator_patch import FilePatch, parse_patch, revert

SIGNATURE = r"connection pool exhausted"
_PER_ROW = re.compile(r"=\s*(%s|\?|\$\d+)")
_BATCHED = re.compile(r"WHERE\s+(\w+)\s+IN\s*\(", re.IGNORECASE)

# Ten-minute buckets (requests, p99, DB queries per answered request, 5xx) and the loudest non-INFO/query messages.
_SCRIPT = """import collections, json, sys
B = collections.defaultdict(lambda: [[], 0, 0]); G = {}
for raw in open(sys.argv[1]):
    try:
        r = json.loads(raw)
    except ValueError:
        continue
    b = B[r["ts"][:15] + "0"]; query = r["msg"].startswith("db query")
    if r.get("status") is not None:
        b[0].append(r["latency_ms"]); b[2] += r["status"] >= 500
    b[1] += query
    if query or r["level"] != "INFO":
        g = G.setdefault((r["level"], r["msg"]), [0, r["ts"], r["ts"]]); g[0] += 1; g[2] = r["ts"]
for k in sorted(B):
    lat, q, e = B[k]; lat.sort(); n = len(lat)
    print("bucket", k, "requests=%d p99_ms=%.0f queries_per_request=%.1f errors=%d"
          % (n, lat[min(n - 1, int(n * 0.99))] if n else 0, q / max(n - e, 1), e))
for (level, msg), (n, first, last) in sorted(G.items(), key=lambda kv: -kv[1][0])[:8]:
    print("group", level, n, first, last, msg)
"""


async def investigate(ctx: Context, log: str, service: str) -> Finding | None:
    """Diagnose a latency regression from the JSON log, metrics, deploys, the suspect diff and the runbook."""
    await ctx.bash(f"wc -l {shlex.quote(log)}")
    out = await ctx.bash(f"python3 -c {shlex.quote(_SCRIPT)} {shlex.quote(log)}")
    buckets = [ev.key_values(line) | {"at": line.split()[1]} for line in out.splitlines() if line.startswith("bucket ")]
    groups = [line.split(" ", 5)[1:] for line in out.splitlines() if line.startswith("group ")]
    if not buckets:
        await ctx.say(f"{ev.rel(ctx, log)} has no JSON request lines I can read, so I stop here.")
        return None

    p99_name, err_name, pool_name = ev.metric_names(ctx, service, "p99", "error_rate", "pool")
    p99, errors, pool = [
        ev.series(ev.tool_json(await ctx.call_tool("get_metrics", {"service": service, "metric": name})))
        for name in (p99_name, err_name, pool_name)
    ]
    deploys = ev.deploy_list(ev.tool_json(await ctx.call_tool("get_recent_deploys", {})))
    base, top = ev.baseline(p99), ev.peak(p99)
    onset = ev.first_at_least(p99, 2 * base) if base else None
    suspect = suspect_deploy(deploys, service, onset)
    if top is None or onset is None or suspect is None:
        await ctx.say(f"{service} p99 shows no regression after a {service} deploy I can see, so the runbook's "
                      "revert does not apply and I open no PR.")
        return None

    patch_text = await commit_diff(ctx, suspect["commit"])
    root = ev.repo_root(ctx)
    patches = [p for p in parse_patch(patch_text) if f"{root}/{p.path}" in ctx.files]
    runbook = await ev.find_runbook(ctx, "latency.md", r"N\+1|p99")
    if not patches or runbook is None:
        missing = f"a diff touching {ev.rel(ctx, root)}/" if not patches else "a latency runbook"
        await ctx.say(f"Deploy {ev.deploy_name(suspect)} looks responsible, but I found no {missing}, so I stop here.")
        return None
    await ctx.read(runbook)
    patch = patches[0]
    current = await ctx.read(f"{root}/{patch.path}")
    reverted = revert(current, patch)
    if reverted is None:
        await ctx.say(f"{ev.rel(ctx, root)}/{patch.path} no longer matches commit {suspect['commit'][:7]}; "
                      "I cannot revert it cleanly.")
        return None

    sha, deployed = suspect["commit"], ev.when(suspect["deployed_at"])
    pattern = what_changed(patch)
    minutes = max(1, round((onset - deployed).total_seconds() / 60))
    root = (
        f"Root cause: commit {sha[:7]}, deployed to {service} as {ev.deploy_name(suspect)} at {ev.hhmm(deployed)} "
        f"({minutes} min before p99 left its baseline at {ev.hhmm(onset)}), {pattern}: "
        f"{_pressure(buckets, groups, pool_name, pool)}; {service} p99 went from {base:,.0f} ms to a peak of "
        f"{top[1]:,.0f} ms ({top[1] / base:.0f}×; {p99[-1][1]:,.0f} ms at {ev.hhmm(p99[-1][0])}) and {err_name} "
        f"peaked at {max((v for _, v in errors), default=0):.2f}."
    )
    notes = [f"This reverts commit {sha}.", *_per_row_note(groups, deployed)]
    notes += [await _red_herring(ctx, g, service, p99, deploys) for g in _transient(groups, buckets, onset)]
    subject = commit_subject(patch_text) or suspect.get("description", "")
    return Finding(
        root_cause=root, notes=tuple(notes), runbook=ev.rel(ctx, runbook),
        repo_path=patch.path, old_text=current, new_text=reverted,
        title=f'Revert "{subject}" ({sha[:7]})',
        summary=(f"Revert {sha[:7]} per {ev.rel(ctx, runbook)}: it {pattern}; {service} p99 {base:,.0f} ms -> "
                 f"{top[1]:,.0f} ms since deploy {ev.deploy_name(suspect)} at {ev.hhmm(deployed)}."),
    )


def _pressure(buckets: list[dict], groups: list[list[str]], pool_name: str, pool: list) -> str:
    """What the database went through, as measured in the log and the pool metric."""
    said = (f"DB queries per request went from {buckets[0]['queries_per_request']} to "
            f"{buckets[-1]['queries_per_request']}")
    if top := ev.peak(pool):
        said += f", {pool_name} reached {top[1]:.2f} at {ev.hhmm(top[0])}"
    if exhausted := next((g for g in groups if "pool exhausted" in g[4]), None):
        said += (f" and 'connection pool exhausted' errors appeared {int(exhausted[1]):,} times from "
                 f"{ev.hhmm(ev.when(exhausted[2]))}")
    return said


def _per_row_note(groups: list[list[str]], deployed: datetime) -> list[str]:
    """The per-row query the log shows after the deploy, if any: the N+1 seen from the database's side."""
    per_row = next((g for g in groups if g[4].startswith("db query") and _PER_ROW.search(g[4])
                    and ev.when(g[2]) >= deployed), None)
    if per_row is None:
        return []
    return [f"The logs show `{per_row[4].removeprefix('db query: ')}` {int(per_row[1]):,} times from "
            f"{ev.hhmm(ev.when(per_row[2]))}: one query per row."]


def suspect_deploy(deploys: list[dict], service: str, onset: datetime | None) -> dict | None:
    """The service's latest deploy in the hour before the regression started."""
    if onset is None:
        return None
    window = [d for d in deploys if ev.deploy_service(d) == service and d.get("commit")
              and onset - timedelta(hours=1) <= ev.when(d["deployed_at"]) <= onset]
    return max(window, key=lambda d: ev.when(d["deployed_at"]), default=None)


async def commit_diff(ctx: Context, commit: str) -> str:
    """The commit's patch from get_diff, or from the mounted diff.txt when the tool cannot give it."""
    answer = await ctx.call_tool("get_diff", {"commit": commit})
    text = "" if answer.is_error else ev.diff_text(ev.tool_json(answer))
    if not text and f"{ev.root(ctx)}/diff.txt" in ctx.files:
        shown = await ctx.read(f"{ev.root(ctx)}/diff.txt")
        text = shown if shown.split("\n", 1)[0].removeprefix("commit ").startswith(commit[:7]) else ""
    return text


def commit_subject(shown: str) -> str:
    """The commit subject of `git show` text (the first indented line before the patch)."""
    for line in shown.splitlines():
        if line.startswith(("diff ", "--- ")):
            break
        if line.startswith("    ") and line.strip():
            return line.strip()
    return ""


def what_changed(patch: FilePatch) -> str:
    """What the commit did to the queries, in words."""
    batched = next((m for line in patch.removed if (m := _BATCHED.search(line))), None)
    per_row = any(_PER_ROW.search(line) for line in patch.added)
    looped = any(line.lstrip().startswith("for ") for line in patch.added)
    if batched and per_row and looped:
        return f"replaced the batched `WHERE {batched.group(1)} IN (...)` query with a per-row loop (an N+1)"
    return f"changed repo/{patch.path}"


def _transient(groups: list[list[str]], buckets: list[dict], onset: datetime) -> list[list[str]]:
    """Warnings that came and went within 15 minutes after the onset, while the log ran on."""
    end = ev.when(buckets[-1]["at"] + ":00Z")
    return [
        g for g in groups
        if g[0] in ("WARN", "ERROR") and "pool exhausted" not in g[4] and int(g[1]) >= 20
        and ev.when(g[2]) >= onset and ev.when(g[3]) - ev.when(g[2]) <= timedelta(minutes=15) and ev.when(g[3]) < end
    ]


async def _red_herring(ctx: Context, group: list[str], service: str, p99: list, deploys: list[dict]) -> str:
    """Check a transient warning's dependency against its own metrics and say whether it explains anything."""
    level, count, first, last, msg = group
    gone = ev.when(last)
    after = [v for t, v in p99 if t > gone]
    still = f"{service} p99 stayed at {min(after):,.0f} ms or more after it stopped" if after else "it stopped"
    known = sorted({ev.deploy_service(d) for d in deploys} - {service, ""})
    other = next((s for s in known if re.search(rf"\b{re.escape(s)}\b", msg)), None)
    head = (f"The {int(count):,} `{msg.split(':')[0]}` lines ({ev.hhmm(ev.when(first))} to {ev.hhmm(gone)}) "
            f"ended on their own while {still}")
    if other is None:
        return head + ": a red herring."
    name = ev.metric_names(ctx, other, "p99")[0]
    theirs = ev.series(ev.tool_json(await ctx.call_tool("get_metrics", {"service": other, "metric": name})))
    if not theirs:
        return f"{head}; I have no {other} metrics to compare, so it is probably a red herring."
    highest = max(v for _, v in theirs)
    if highest <= 2 * ev.baseline(theirs):
        return f"{head}, and {other} p99 stayed flat (max {highest:,.0f} ms): a red herring."
    return f"{head}, but {other} p99 rose to {highest:,.0f} ms too: worth a second look."
