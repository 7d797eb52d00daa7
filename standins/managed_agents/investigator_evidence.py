"""What the offline investigator knows how to read: the alert, the mount table, tool answers, metric series."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Protocol

MOUNT = "/mnt/session/incident"


class Answer(Protocol):
    text: str
    is_error: bool


class Context(Protocol):
    session_id: str
    files: Mapping[str, bytes]

    async def say(self, text: str) -> None: ...
    async def bash(self, command: str) -> str: ...
    async def read(self, path: str) -> str: ...
    async def call_tool(self, name: str, input: dict[str, Any]) -> Answer: ...


@dataclass(frozen=True)
class Alert:
    title: str
    service: str | None = None


@dataclass
class Finding:
    """A diagnosis with the fix that goes with it; the playbooks fill it, the PR step consumes it."""

    kind: str
    service: str
    root_cause: str
    notes: list[str] = field(default_factory=list)
    runbook: str = ""
    repo_path: str = ""
    old_text: str = ""
    new_text: str = ""
    title: str = ""
    summary: str = ""


def parse_alert(message: str) -> Alert:
    """Title and service of a PagerDuty V3 webhook body found in message, or the message itself as the title."""
    start = message.find("{")
    if start >= 0:
        try:
            body, _ = json.JSONDecoder().raw_decode(message[start:])
        except ValueError:
            body = None
        data = body.get("event", {}).get("data", {}) if isinstance(body, dict) else {}
        if isinstance(data, dict) and data.get("title"):
            service = data.get("service") or {}
            return Alert(str(data["title"]), service.get("summary") if isinstance(service, dict) else None)
    return Alert(" ".join(message.split())[:300] or "(no text)")


def mounted(ctx: Context, folder: str) -> list[str]:
    """Mount paths of the evidence files under MOUNT/folder, sorted."""
    prefix = f"{MOUNT}/{folder}/"
    return sorted(path for path in ctx.files if path.startswith(prefix))


def rel(path: str) -> str:
    """The path relative to the incident folder (runbooks/oom.md)."""
    return path.removeprefix(MOUNT + "/")


def parse_counts(output: str) -> dict[str, int]:
    """`grep -c -H` output to {file name: count}; works whatever folder the sandbox prints."""
    counts: dict[str, int] = {}
    for line in output.splitlines():
        name, sep, number = line.rpartition(":")
        if sep and number.strip().isdigit():
            counts[PurePosixPath(name).name] = int(number)
    return counts


def key_values(output: str) -> dict[str, str]:
    """`name=value` pairs printed by an awk or python one-liner."""
    return dict(re.findall(r"(\w+)=(\S+)", output))


def tool_json(answer: Answer) -> Any:
    """The JSON in a custom tool answer, or its raw text when it is not JSON."""
    try:
        return json.loads(answer.text)
    except ValueError:
        return answer.text


def series(payload: Any) -> list[tuple[datetime, float]]:
    """[(time, value)] from a get_metrics answer: a bare list of points or an object holding one."""
    if isinstance(payload, dict):
        payload = next((v for k in ("points", "series", "values", "data") if isinstance(v := payload.get(k), list)),
                       next((v for v in payload.values() if isinstance(v, list)), []))
    points = []
    for point in payload if isinstance(payload, list) else []:
        if isinstance(point, dict) and "t" in point and isinstance(point.get("v"), (int, float)):
            points.append((when(point["t"]), float(point["v"])))
    return points


def deploy_list(payload: Any) -> list[dict[str, Any]]:
    """Deploy records from a get_recent_deploys answer: a bare list or an object holding one."""
    if isinstance(payload, dict):
        payload = next((v for v in payload.values() if isinstance(v, list)), [])
    return [d for d in payload if isinstance(d, dict) and "deployed_at" in d] if isinstance(payload, list) else []


def diff_text(payload: Any) -> str:
    """The patch text from a get_diff answer: plain text, a JSON string, or an object with it."""
    if isinstance(payload, dict):
        return next((v for k in ("diff", "patch", "text", "show") if isinstance(v := payload.get(k), str)), "")
    return payload if isinstance(payload, str) else ""


def when(stamp: str) -> datetime:
    """An ISO 8601 time with a trailing Z."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def hhmm(moment: datetime) -> str:
    """Clock time as 09:24:10 UTC (seconds dropped when zero)."""
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M") + " UTC"


def baseline(points: list[tuple[datetime, float]]) -> float:
    """Median of the first quarter of a series: what normal looked like."""
    head = [v for _, v in points[: max(1, len(points) // 4)]]
    return statistics.median(head) if head else 0.0


def peak(points: list[tuple[datetime, float]]) -> tuple[datetime, float] | None:
    """The first point holding the series' maximum."""
    return max(points, key=lambda p: p[1]) if points else None


def first_at_least(points: list[tuple[datetime, float]], level: float) -> datetime | None:
    """When the series first reached level."""
    return next((t for t, v in points if v >= level), None)


def metric_names(ctx: Context, service: str, *wanted: str) -> list[str]:
    """Metric names of service in the mounted metrics.json matching each wanted word (the word itself if absent)."""
    try:
        catalogue = json.loads(ctx.files.get(f"{MOUNT}/metrics.json", b"{}")).get(service, {})
    except (ValueError, AttributeError):
        catalogue = {}
    return [next((name for name in catalogue if word in name), word) for word in wanted]
