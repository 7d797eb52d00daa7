"""`python -m tests.faults`: run every fault scenario and print what was lost or repeated."""

from __future__ import annotations

import asyncio
import logging
import sys

from tests.faults.scenarios import run_all


def table(results: dict) -> str:
    """A markdown table: one row per scenario, then the totals."""
    head = "| scenario | runs | faults injected | messages lost | messages duplicated | decisions duplicated | merges without approval | live buttons on dead cards |"
    rows = [head, "|" + "---|" * 8]
    totals = [0] * 7
    for name, outcomes in results.items():
        nums = [
            len(outcomes),
            sum(o.faults for o in outcomes),
            sum(o.lost for o in outcomes),
            sum(o.duplicated for o in outcomes),
            sum(o.decisions_duplicated for o in outcomes),
            sum(o.merges_without_approval for o in outcomes),
            sum(o.live_dead_buttons for o in outcomes),
        ]
        totals = [a + b for a, b in zip(totals, nums)]
        rows.append(f"| {name} | " + " | ".join(map(str, nums)) + " |")
    rows.append("| **total** | " + " | ".join(f"**{n}**" for n in totals) + " |")
    return "\n".join(rows)


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    results = asyncio.run(run_all(sys.argv[1:] or None))
    print(table(results))
    bad = [o for outs in results.values() for o in outs if not o.clean]
    for o in bad:
        print("NOT CLEAN:", o)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
