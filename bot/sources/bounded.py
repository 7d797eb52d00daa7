"""Answers a session can afford: caps on series, points, lines and bytes, even downsampling, compact JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Caps", "compact", "cut", "evenly", "keep_within", "number", "shape_matrix", "size", "timestamp"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Caps:
    """How much one tool answer may hold."""

    max_series: int = 20
    max_points: int = 150  # per series
    max_lines: int = 1000
    max_line_chars: int = 1000
    max_label_chars: int = 200
    max_bytes: int = 40_000  # the whole answer as compact JSON

    def __post_init__(self) -> None:
        if min(self.max_series, self.max_lines, self.max_line_chars, self.max_label_chars) < 1 or self.max_points < 2:
            raise ValueError("caps must be positive (max_points at least 2)")


def compact(value: Any) -> str:
    """JSON without spaces: what the agent reads."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def size(value: Any) -> int:
    """Bytes of the compact JSON (UTF-8)."""
    return len(compact(value).encode())


def number(text: object) -> int | float | str | None:
    """A sample value as a JSON number: "0.25" -> 0.25, "3" -> 3; NaN -> null; ±Inf stay "+Inf"/"-Inf"."""
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def timestamp(value: object) -> int | float:
    """Unix seconds, whole when they are."""
    seconds = float(value)  # type: ignore[arg-type]
    return int(seconds) if seconds.is_integer() else round(seconds, 3)


def evenly(items: Sequence[T], keep: int) -> list[T]:
    """At most `keep` items spread evenly over the sequence, first and last included."""
    n = len(items)
    if n <= keep:
        return list(items)
    if keep <= 1:
        return list(items[-1:]) if keep == 1 else []
    return [items[round(i * (n - 1) / (keep - 1))] for i in range(keep)]


def cut(text: str, max_chars: int) -> tuple[str, bool]:
    """The text cut to max_chars characters (an ellipsis marks the cut), and whether it was cut."""
    if len(text) <= max_chars:
        return text, False
    return text[: max(0, max_chars - 1)] + "…", True


def keep_within(items: list[T], build: Callable[[list[T]], dict[str, Any]], max_bytes: int) -> dict[str, Any]:
    """build(items[:n]) for the largest n whose compact JSON fits in max_bytes (n may be 0)."""
    low, high = 0, len(items)
    if size(answer := build(items)) <= max_bytes:
        return answer
    while low < high:  # largest n that fits; build() is monotone in n
        mid = (low + high + 1) // 2
        if size(build(items[:mid])) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    return build(items[:low])


def _labels(metric: object, caps: Caps) -> tuple[dict[str, str], bool]:
    labels: dict[str, str] = {}
    was_cut = False
    for key, value in (metric or {}).items() if isinstance(metric, dict) else ():
        labels[str(key)], c = cut(str(value), caps.max_label_chars)
        was_cut |= c
    return labels, was_cut


def shape_matrix(result: list[Any], caps: Caps, envelope: dict[str, Any], *, hint: str) -> dict[str, Any]:
    """A Prometheus-style matrix bounded by caps, merged into envelope; `hint` says how to narrow a cut answer."""
    all_series: list[dict[str, Any]] = []
    points_total = 0
    any_downsampled = False
    for item in result:
        item = item if isinstance(item, dict) else {}
        points = [[timestamp(t), number(v)] for t, v in item.get("values") or []]
        points_total += len(points)
        labels, labels_cut = _labels(item.get("metric"), caps)
        series: dict[str, Any] = {"labels": labels, "points": evenly(points, caps.max_points)}
        if len(points) > caps.max_points:
            series["points_total"] = len(points)
            any_downsampled = True
        if labels_cut:
            series["labels_cut"] = True
        all_series.append(series)
    kept = all_series[: caps.max_series]

    def build(chosen: list[dict[str, Any]]) -> dict[str, Any]:
        truncated = any_downsampled or len(chosen) < len(all_series)
        answer = {**envelope, "series": chosen, "truncated": truncated,
                  "series_returned": len(chosen), "series_total": len(all_series),
                  "points_kept": sum(len(s["points"]) for s in chosen), "points_total": points_total}  # fmt: skip
        if len(chosen) < len(all_series):
            answer["note"] = f"showing {len(chosen)} of {len(all_series)} series; {hint}"
        elif any_downsampled:
            answer["note"] = "points were downsampled evenly; a larger step or a shorter window gives every point"
        return answer

    return keep_within(kept, build, caps.max_bytes)
