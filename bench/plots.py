"""The benchmark's two pictures: latency percentiles against N, and API bytes against session length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plot_bytes", "plot_latency"]

LATENCIES = [("ack", "/incident ack"), ("event", "event → Slack"), ("click", "click → agent")]


def plot_latency(rows: list[dict[str, Any]], path: Path) -> Path:
    """One panel per latency: p50 and p99 (ms, log scale) against the number of incidents, per run kind."""
    fig, axes = plt.subplots(1, len(LATENCIES), figsize=(13, 4), constrained_layout=True)
    names = sorted({r["name"] for r in rows})
    for ax, (key, title) in zip(axes, LATENCIES, strict=True):
        for name in names:
            runs = sorted((r for r in rows if r["name"] == name), key=lambda r: r["incidents"])
            for p, style in (("p50", "--"), ("p99", "-")):
                points = [(r["incidents"], r[f"{key}_{p}"]) for r in runs if r.get(f"{key}_{p}")]
                if points:
                    ax.plot(*zip(*points, strict=True), style, marker="o", label=f"{name} {p}")
        ax.set(title=title, xlabel="concurrent incidents (N)", ylabel="ms", xscale="log", yscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_bytes(series: dict[str, list[tuple[int, float]]], path: Path) -> Path:
    """Managed Agents response bytes one incident has cost, against how many events its session has so far."""
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    for name, points in sorted(series.items()):
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, [y / 1024 for y in ys], label=name)
    ax.set(title="Managed Agents bytes per incident vs session length", xlabel="events in the session so far",
           ylabel="KB received by the bot (cumulative)", yscale="log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
