"""Turn run results into figures: percentiles, the markdown tables, ratios ours/baseline and the goal lines."""

from __future__ import annotations

import contextlib
import math
import os
import platform
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FIGURES", "figures", "goal_lines", "machine", "markdown", "percentiles"]

HARNESS_BUSY = 0.85  # of one core: above this the stand-ins, not the bot, may set the pace


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50, p95, p99 (nearest rank) and max; None when there is nothing to rank."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1]}


# (key, heading, how to show it) for the per-run figures, in table order
FIGURES: list[tuple[str, str, str]] = [
    ("ack_p50", "ack p50 ms", "{:.1f}"), ("ack_p99", "ack p99 ms", "{:.1f}"),
    ("event_p50", "event→Slack p50 ms", "{:.1f}"), ("event_p95", "p95", "{:.1f}"),
    ("event_p99", "p99", "{:.1f}"), ("event_max", "max", "{:.0f}"),
    ("click_p50", "click→agent p50 ms", "{:.1f}"), ("click_p99", "click p99", "{:.1f}"),
    ("slack_calls_per_incident", "Slack calls / incident", "{:.0f}"),
    ("max_channel_calls_1s", "max calls/s one channel", "{:.0f}"),
    ("sustained_posts_per_s", "posts/s (10 s)", "{:.2f}"),
    ("ma_requests_per_incident", "MA requests / incident", "{:.1f}"),
    ("ma_kb_per_incident", "MA KB / incident", "{:.1f}"),
    ("rss_kb_per_incident", "RSS KB / incident", "{:.0f}"),
    ("cpu_ms_per_incident", "CPU ms / incident", "{:.0f}"),
    ("harness_cpu_share", "stand-ins CPU (cores)", "{:.2f}"),
]  # fmt: skip


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The reported figures of one run (a RunResult.as_dict())."""
    n = max(1, result["spec"]["incidents"])
    out: dict[str, Any] = {"name": result["spec"]["name"], "bot": result["spec"]["bot"], "incidents": n,
                           "completed": result["completed"], "shown": len(result["event_ms"]),
                           "expected": result["events_expected"]}  # fmt: skip
    for key, values in (("ack", result["ack_ms"]), ("event", result["event_ms"]), ("click", result["click_ms"])):
        for p, v in percentiles(values).items():
            out[f"{key}_{p}"] = v
    wall = result["wall_s"] or 1.0
    out.update(
        slack_calls_per_incident=result["slack_calls"] / n,
        max_channel_calls_1s=result["max_channel_calls_1s"],
        sustained_posts_per_s=result["sustained_posts_per_s"],
        ma_requests_per_incident=result["ma_requests"] / n,
        ma_kb_per_incident=result["ma_bytes"] / n / 1024,
        rss_kb_per_incident=max(0, result["rss_peak_kb"] - result["rss_idle_kb"]) / n,
        cpu_ms_per_incident=result["bot_cpu_s"] * 1000 / n,
        harness_cpu_share=result["harness_cpu_s"] / wall,
        notes=list(result.get("notes") or []),
    )
    return out


def _cell(fmt: str, value: Any) -> str:
    return "–" if value is None else fmt.format(value)


def markdown(rows: Iterable[dict[str, Any]]) -> str:
    """The figures table, one row per run; then ours/baseline ratios for every N both ran."""
    rows = list(rows)
    head = ["run", "N"] + [h for _, h, _ in FIGURES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["name"], str(r["incidents"])] + [_cell(f, r.get(k)) for k, _, f in FIGURES]
        lines.append("| " + " | ".join(cells) + " |")
    ratios = _ratio_rows(rows)
    if ratios:
        lines += ["", "Ratio ours / baseline (below 1: ours is lower):", ""]
        lines += ["| N | " + " | ".join(h for _, h, _ in FIGURES) + " |", "|" + "---|" * (len(FIGURES) + 1)]
        lines += ratios
    return "\n".join(lines) + "\n"


def _ratio_rows(rows: list[dict[str, Any]]) -> list[str]:
    ours = {r["incidents"]: r for r in rows if r["name"] == "ours"}
    base = {r["incidents"]: r for r in rows if r["name"] == "baseline"}
    out = []
    for n in sorted(set(ours) & set(base)):
        cells = []
        for key, _, _ in FIGURES:
            a, b = ours[n].get(key), base[n].get(key)
            cells.append("–" if a is None or not b else f"{a / b:.2g}")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    return out


def _at(rows: list[dict[str, Any]], name: str, want: int) -> tuple[dict[str, Any] | None, str]:
    """The run of `name` at N=want, or the largest N below it (saying so)."""
    runs = sorted((r for r in rows if r["name"] == name), key=lambda r: r["incidents"])
    exact = [r for r in runs if r["incidents"] == want]
    if exact:
        return exact[0], f"N={want}"
    below = [r for r in runs if r["incidents"] < want]
    if below:
        return below[-1], f"N={below[-1]['incidents']} (N={want} was not run)"
    return None, f"N={want} was not run"


def goal_lines(rows: list[dict[str, Any]], *, duration: float, events: int) -> list[str]:
    """PASS/FAIL per goal, with the figure it was judged on."""
    lines = []

    def judge(ok: bool | None, text: str) -> None:
        lines.append(f"{'PASS' if ok else 'FAIL' if ok is not None else 'N/A '}  {text}")

    for key, label in (("ack_p99", "/incident ack p99 < 50 ms"), ("event_p99", "event → Slack p99 < 100 ms"),
                       ("click_p99", "click → agent p99 < 100 ms")):
        limit = 50.0 if key == "ack_p99" else 100.0
        run, where = _at(rows, "ours", 100)
        value = run.get(key) if run else None
        judge(None if value is None else value < limit, f"{label} at {where}: {_cell('{:.1f}', value)} ms")
    paced = [r for r in rows if r["name"] != "ours" and r["bot"] == "ours"]
    for r in paced or [r for r in rows if r["name"] == "ours"][:1]:
        v = r["sustained_posts_per_s"]
        judge(v <= 1.0, f"sustained ≤ 1 post/s per channel ({r['name']}, N={r['incidents']}): {v:.2f} posts/s")
    ours, where = _at(rows, "ours", 1)
    base = next((r for r in rows if r["name"] == "baseline" and ours and r["incidents"] == ours["incidents"]), None)
    if ours and base and ours["ma_kb_per_incident"]:
        ratio = base["ma_kb_per_incident"] / ours["ma_kb_per_incident"]
        length = "" if (duration, events) == (120.0, 200) else f"; sessions were {events} events over {duration:g} s, not 200 over 120 s"
        judge(ratio >= 20, f"≥ 20× fewer Managed Agents bytes than the baseline ({where}): {ratio:.1f}× "
                           f"({ours['ma_kb_per_incident']:.0f} KB vs {base['ma_kb_per_incident']:.0f} KB per incident{length})")
    else:
        judge(None, "≥ 20× fewer Managed Agents bytes than the baseline: no baseline run to compare")
    run, where = _at(rows, "ours", 500)
    value = run.get("rss_kb_per_incident") if run else None
    judge(None if value is None else value <= 100, f"≤ 100 KB resident memory per active incident at {where}: {_cell('{:.0f}', value)} KB")
    for r in rows:
        if r["harness_cpu_share"] > HARNESS_BUSY:
            lines.append(f"NOTE  {r['name']} N={r['incidents']}: the stand-ins used {r['harness_cpu_share']:.2f} of a core; "
                         "they, not the bot, may have set the pace of this run")
        for note in r["notes"]:
            lines.append(f"NOTE  {r['name']} N={r['incidents']}: {note}")
    return lines


def machine() -> str:
    """One line about where the figures were measured."""
    model = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB"
    return f"{os.cpu_count()} cores{(' ' + model) if model else ''}{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"

