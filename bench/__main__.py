"""`python -m bench`: the load sweep, ours and the cookbook baseline on the same stand-ins, in one run."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load import RunSpec, run_load
from bench.plots import plot_bytes, plot_latency
from bench.report import figures, goal_lines, machine, markdown
from bot.settings import clear_proxies

__all__ = ["main"]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a short sweep for CI: N=1,10 at --pace 0.1")
    p.add_argument("--sweep", type=_ints, default=[1, 10, 100, 500], help="incident counts (default 1,10,100,500)")
    p.add_argument("--baseline-max", type=int, default=100,
                   help="run the baseline up to this N (default 100: above it the stand-ins serving its polls take "
                        "the whole machine)")
    p.add_argument("--paced", type=int, default=10,
                   help="also run ours at this N with the default SLACK_POSTS_PER_SECOND=1 (0: skip)")
    p.add_argument("--events", type=int, default=200, help="events per session (default 200)")
    p.add_argument("--duration", type=float, default=120.0, help="seconds one investigation lasts (default 120)")
    p.add_argument("--pace", type=float, default=1.0, help="scale the duration (0.1: ten times faster)")
    p.add_argument("--out", type=Path, default=Path("bench/results"), help="where the table and plots go")
    return p


async def _sweep(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    duration = args.duration * args.pace
    specs = []
    for n in args.sweep:
        specs.append(RunSpec("ours", n, events=args.events, duration=duration))
        if n <= args.baseline_max:
            specs.append(RunSpec("baseline", n, events=args.events, duration=duration))
    if args.paced:
        specs.append(RunSpec("ours", args.paced, events=args.events, duration=duration, posts_per_second=1.0,
                             label="ours, 1 post/s"))
    results = []
    for spec in specs:
        started = time.monotonic()
        print(f"running {spec.name} N={spec.incidents} ({spec.events} events over {spec.duration:g} s each)…", flush=True)
        result = await run_load(spec, work / f"{spec.name.replace(', ', '-').replace(' ', '')}-{spec.incidents}")
        results.append(result.as_dict())
        row = figures(results[-1])
        print(f"  done in {time.monotonic() - started:.0f} s: {row['completed']}/{spec.incidents} finished, "
              f"event→Slack p99 {row['event_p99'] or 0:.1f} ms, {row['ma_kb_per_incident']:.0f} KB API per incident", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        args.sweep, args.pace, args.baseline_max = [1, 10], 0.1, 10
        args.paced = args.paced if args.paced != 10 else 2
    logging.basicConfig(level=logging.WARNING)
    clear_proxies()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="incident-bot-bench-"))
    try:
        results = asyncio.run(_sweep(args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [figures(r) for r in results]
    duration = args.duration * args.pace
    goals = goal_lines(rows, duration=duration, events=args.events)
    series = {}
    for name in ("ours", "baseline"):
        smallest = min((r for r in results if r["spec"]["name"] == name), key=lambda r: r["spec"]["incidents"], default=None)
        if smallest:
            series[f"{name} (N={smallest['spec']['incidents']})"] = smallest["bytes_by_length"]
    plot_latency(rows, args.out / "latency.png")
    plot_bytes(series, args.out / "api-bytes.png")
    text = (f"Machine: {machine()}. Sessions: {args.events} events over {duration:g} s"
            f"{' (--quick)' if args.quick else ''}.\n\n" + markdown(rows) + "\n```text\n" + "\n".join(goals) + "\n```\n")
    (args.out / "results.md").write_text(text)
    (args.out / "results.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                       "runs": results}, indent=1))
    print()
    print(text)
    print(f"written: {args.out / 'results.md'}, results.json, latency.png, api-bytes.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
