"""`python -m bench --quick` as CI runs it: the real bot and the baseline under load, every figure produced.

This checks that the harness measures, not that the figures meet the goals (those are printed, not asserted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import FIGURES, figures
from bot.settings import REPO_ROOT

ALWAYS = [key for key, _, _ in FIGURES]


@pytest.mark.slow  # five load runs, two minutes
def test_quick_sweep_produces_every_figure_for_ours_and_the_baseline(tmp_path: Path) -> None:
    out = tmp_path / "results"
    env = {**os.environ, "HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": ""}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    runs = json.loads((out / "results.json").read_text())["runs"]
    assert sorted((r["spec"]["name"], r["spec"]["incidents"]) for r in runs) == [
        ("baseline", 1), ("baseline", 10), ("ours", 1), ("ours", 10), ("ours, 1 post/s", 2)]
    for run in runs:
        row = figures(run)
        where = f"{row['name']} N={row['incidents']}"
        assert row["completed"] == row["incidents"], f"{where}: {run['notes']}"
        assert row["shown"] == row["expected"] > 0, f"{where}: agent events missing from Slack"
        missing = [key for key in ALWAYS if row.get(key) is None]
        assert not missing, f"{where}: no {missing}"
        assert len(run["click_ms"]) == row["incidents"], f"{where}: a click was not timed"
        assert run["ma_bytes"] > 0 and run["slack_calls"] > 0 and run["bytes_by_length"]

    by = {(r["spec"]["name"], r["spec"]["incidents"]): r for r in runs}
    # The baseline re-reads the history every second: it must cost more API bytes than the stream.
    assert by[("baseline", 10)]["ma_bytes"] > by[("ours", 10)]["ma_bytes"]
    # The paced run keeps to the one post per second the bot is configured for.
    assert by[("ours, 1 post/s", 2)]["sustained_posts_per_s"] <= 1.0

    table = (out / "results.md").read_text()
    for _, heading, _ in FIGURES:
        assert heading in table
    goals = [line for line in table.splitlines() if line[:4] in ("PASS", "FAIL", "N/A ")]
    assert len(goals) == 6, table
    for picture in ("latency.png", "api-bytes.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
