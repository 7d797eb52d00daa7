"""OOMKilled playbook: measure the heap against the limit, follow runbooks/oom.md, raise memory to its tier."""

from __future__ import annotations

import re
import shlex

import yaml

from standins.managed_agents import investigator_evidence as ev
from standins.managed_agents.investigator_evidence import Context, Finding

SIGNATURE = r"OOMKilled|exit code 137"
MiB = 1024 * 1024
_SIZE = r"\d+(?:Mi|Gi)"

# One pass over the log: peak heap, kills, crash loops, warm-ups, the cache size and the first kill.
_AWK = (
    "awk '/heap_mb=/ { match($0, /heap_mb=[0-9.]+/); v = substr($0, RSTART + 8, RLENGTH - 8) + 0;"
    " if (v > peak) peak = v }"
    " /OOMKilled|exit code 137/ { kills++; if (!first) first = $1 }"
    " /CrashLoopBackOff/ { loops++ }"
    " /warm-up started/ { warmups++ }"
    " /expected_entries=/ { match($0, /expected_entries=[0-9]+/); entries = substr($0, RSTART + 17, RLENGTH - 17) }"
    " END { printf \"peak_heap_mb=%s oom_kills=%d crashloops=%d warmups=%d entries=%s first_kill=%s\\n\","
    " peak, kills, loops, warmups, entries, first }'"
)


async def investigate(ctx: Context, log: str, service: str) -> Finding | None:
    """Diagnose an OOM-killed service from its log, metrics, deploys, runbook and Deployment manifest."""
    quoted = shlex.quote(log)
    await ctx.bash(f"tail -n 12 {quoted}")
    facts = ev.key_values(await ctx.bash(f"{_AWK} {quoted}"))
    failed = (await ctx.bash(f"grep -m 1 -E 'failed to allocate|cannot allocate memory' {quoted}")).strip()
    heap = float(facts.get("peak_heap_mb", "0") or 0)
    kills = int(facts.get("oom_kills", "0"))
    cache = re.search(r"(\S*cache\S*): failed to allocate", failed)
    if int(facts.get("warmups", "0")) < kills:
        cache = None  # a cache-driven OOM dies during every warm-up

    memory_metric, restarts_metric = ev.metric_names(ctx, service, "memory", "restart")
    memory, restarts = [
        ev.series(ev.tool_json(await ctx.call_tool("get_metrics", {"service": service, "metric": name})))
        for name in (memory_metric, restarts_metric)
    ]
    deploys = ev.deploy_list(ev.tool_json(await ctx.call_tool("get_recent_deploys", {})))
    trigger = _trigger(deploys, service, facts.get("first_kill", ""))

    runbook = await ev.find_runbook(ctx, "oom.md", SIGNATURE)
    manifest = _manifest_path(ctx, service)
    if runbook is None or manifest is None:
        missing = "runbooks/oom.md" if runbook is None else \
            f"a Deployment manifest for {service} under {ev.rel(ctx, ev.repo_root(ctx))}/"
        await ctx.say(f"The logs show {kills} OOMKilled restarts, but I found no {missing}, so I stop here.")
        return None
    runbook_text = await ctx.read(runbook)
    manifest_text = await ctx.read(manifest)
    limit = _limit(manifest_text)
    tier = _next_tier(runbook_text, limit, cache_driven=cache is not None) if limit else None
    if limit is None or tier is None:
        gap = f"a memory limit in {ev.rel(ctx, manifest)}" if limit is None else f"a tier above {limit} in {ev.rel(ctx, runbook)}"
        await ctx.say(f"I found no {gap}; I will not guess a size, so I open no PR.")
        return None

    working = ev.peak(memory)
    restart_count = int(max((v for _, v in restarts), default=kills))
    replicas = (yaml.safe_load(manifest_text) or {}).get("spec", {}).get("replicas", "?")
    what = f"while warming its {cache.group(1)} ({facts.get('entries') or '?'} entries)" if cache else "under load"
    used = (heap, "MB", "the heap") if heap else (round(working[1] / MiB, 1) if working else 0.0, "MiB", "its memory")
    root = (
        f"Root cause: the {service} container runs out of memory {what}: {used[2]} peaked at {used[0]:g} {used[1]} "
        f"against a {limit} memory limit ({used[0] / _mib(limit) * 100:.0f}%), the kernel OOM-killed it {kills} "
        f"times (exit code 137){' and it is in CrashLoopBackOff' if int(facts.get('crashloops', '0')) else ''}; "
        f"the {restarts_metric} metric reached {restart_count} across the {replicas} replicas."
    )
    notes = [f"Failed allocation: `{failed}`"] if failed else []
    if working:
        notes.append(f"{memory_metric} peaked at {working[1] / MiB:.1f} MiB at {ev.hhmm(working[0])}.")
    if trigger:
        notes.append(f"Trigger: deploy {ev.deploy_name(trigger)} at {ev.hhmm(ev.when(trigger['deployed_at']))}: "
                     f"{trigger.get('description', '')}")
    rule = "the next tier for a cache-driven OOM" if cache else "one tier up, a stop-gap while the leak is fixed"
    notes.append(f"{ev.rel(ctx, runbook)} says {rule} is {tier}; request and limit move together.")
    repo_path = manifest.removeprefix(ev.repo_root(ctx) + "/")
    return Finding(
        root_cause=root, notes=tuple(notes), runbook=ev.rel(ctx, runbook), repo_path=repo_path,
        old_text=manifest_text, new_text=_set_memory(manifest_text, tier),
        title=f"{service}: raise memory request and limit {limit} -> {tier} (OOMKilled)",
        summary=(f"Raise {service} memory request and limit {limit} -> {tier} per {ev.rel(ctx, runbook)}: heap peaked at "
                 f"{heap:g} MB against {limit}, {kills} OOMKills, {restart_count} restarts."),
    )


def _trigger(deploys: list[dict], service: str, first_kill: str) -> dict | None:
    """The service's latest deploy before the first kill."""
    try:
        cutoff = ev.when(first_kill)
    except ValueError:
        return None
    earlier = [d for d in deploys if ev.deploy_service(d) == service and ev.when(d["deployed_at"]) <= cutoff]
    return max(earlier, key=lambda d: ev.when(d["deployed_at"]), default=None)


def _manifest_path(ctx: Context, service: str) -> str | None:
    """The mounted Deployment manifest named after the service."""
    for path in ev.repo_files(ctx):
        if path.endswith((".yaml", ".yml")):
            try:
                docs = list(yaml.safe_load_all(ctx.files[path]))
            except yaml.YAMLError:
                continue
            if any(isinstance(d, dict) and d.get("kind") == "Deployment"
                   and d.get("metadata", {}).get("name") == service for d in docs):
                return path
    return None


def _limit(manifest: str) -> str | None:
    """The first container's memory limit, if it has one in Mi or Gi."""
    try:
        container = yaml.safe_load(manifest)["spec"]["template"]["spec"]["containers"][0]
        limit = str(container["resources"]["limits"]["memory"])
    except (KeyError, IndexError, TypeError, yaml.YAMLError):
        return None
    return limit if re.fullmatch(_SIZE, limit) else None


def _mib(size: str) -> float:
    return float(size[:-2]) * (1024 if size.endswith("Gi") else 1)


def _next_tier(runbook: str, limit: str, *, cache_driven: bool) -> str | None:
    """The runbook's rule for a cache-driven OOM, else the tier after limit in its tier list."""
    rule = re.search(rf"next tier for a cache-driven OOM is\W*({_SIZE})", runbook, re.IGNORECASE)
    if cache_driven and rule and _mib(rule.group(1)) > _mib(limit):
        return rule.group(1)
    ladder = next((re.findall(_SIZE, line) for line in runbook.splitlines() if "→" in line or "->" in line), [])
    return next((size for size in ladder if _mib(size) > _mib(limit)), None)


def _set_memory(manifest: str, size: str) -> str:
    """The manifest with every resources.requests/limits memory set to size, formatting kept."""
    lines = manifest.splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)memory:\s*\S+", line)
        if match and _parent(lines, i, len(match.group(1))) in ("requests:", "limits:"):
            lines[i] = f"{match.group(1)}memory: {size}\n"
    return "".join(lines)


def _parent(lines: list[str], i: int, indent: int) -> str:
    """The key of the block that line i belongs to."""
    for line in reversed(lines[:i]):
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            return line.strip()
    return ""
