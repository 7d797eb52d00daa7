"""What the offline investigator knows how to read: the alert, the mount table, tool answers, metric series."""

from __future__ import annotations

import json
import os
import re
import shlex
import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Protocol

_FILES_HEADER = re.compile(r"^.*files are mounted.*:\s*$")
_REPO_LINE = re.compile(r"^The infrastructure repository your fix changes is at (/\S+?)/? \(", re.M)


class Answer(Protocol):
    text: str
    is_error: bool


class Context(Protocol):
    session_id: str
    files: Mapping[str, bytes]  # mounted files, and the files of cloned repositories, by path
    repositories: Mapping[str, str]  # mount path -> URL of each cloned repository
    memory: dict[str, Any]
    tools: Collection[str]  # the custom tools of the agent's definition: only these can be called

    async def say(self, text: str) -> None: ...
    async def bash(self, command: str) -> str: ...
    async def read(self, path: str) -> str: ...
    async def call_tool(self, name: str, input: dict[str, Any]) -> Answer: ...


@dataclass(frozen=True)
class Finding:
    """A diagnosis with the fix that goes with it; the playbooks make it, the PR step consumes it."""

    root_cause: str  # the sentence starting "Root cause:", with the measured numbers
    notes: tuple[str, ...]  # the supporting evidence, one line each
    runbook: str  # relative path of the runbook followed, e.g. runbooks/oom.md
    repo_path: str  # the file to change, relative to repo/
    old_text: str
    new_text: str
    title: str  # the PR title
    summary: str  # what the approver is asked to approve


def alert_title(message: str) -> str:
    """The title of a PagerDuty V3 webhook body found in message, or the message itself (free text)."""
    start = message.find("{")
    if start >= 0:
        try:
            body, _ = json.JSONDecoder().raw_decode(message[start:])
        except ValueError:
            body = None
        event = body.get("event") if isinstance(body, dict) else None
        data = event.get("data") if isinstance(event, dict) else None
        if isinstance(data, dict) and data.get("title"):
            return str(data["title"])
        if isinstance(body, dict) and isinstance(body.get("title"), str):  # an alert the bot parsed (Alertmanager…)
            return body["title"][:300]
    quoted = re.search(r"<<<(?:ALERT|MESSAGE)\n(.*?)\n(?:ALERT|MESSAGE)>>>", message, re.S)
    if quoted:  # the bot quotes untrusted text between markers: that is what the incident is about
        message = quoted.group(1)
    return " ".join(message.split())[:300] or "(no text)"


def listed_files(message: str) -> list[str]:
    """The absolute paths a message lists under its "files are mounted ... at these paths:" line (the bot's first
    message, or its correction)."""
    paths: list[str] = []
    listing = False
    for line in message.splitlines():
        if _FILES_HEADER.match(line):
            listing, paths = True, []
        elif listing and line.startswith("/"):
            paths.append(line.strip())
        elif listing:
            listing = False
    return paths


def learn_root(ctx: Context, message: str) -> str | None:
    """Remember where the incident's files and the repository are, as the message says (the folder that holds every
    listed file; the repository's line)."""
    paths = listed_files(message)
    if paths:
        parents = [str(PurePosixPath(p).parent) for p in paths]
        ctx.memory["evidence_root"] = str(PurePosixPath(os.path.commonpath(parents)))
    repo = _REPO_LINE.search(message)
    if repo:
        ctx.memory["repo_root"] = repo.group(1)
    return ctx.memory.get("evidence_root") or ctx.memory.get("repo_root")


def root(ctx: Context) -> str:
    """The incident folder as the messages said ("" when they named no files)."""
    return str(ctx.memory.get("evidence_root") or "")


def mounted(ctx: Context, folder: str) -> list[str]:
    """Mount paths of the evidence files under <the incident folder>/folder, sorted."""
    if not root(ctx):
        return []
    prefix = f"{root(ctx)}/{folder}/"
    return sorted(path for path in ctx.files if path.startswith(prefix))


def repo_root(ctx: Context) -> str:
    """Where the repository a fix changes is, as the messages said (the clone, or the incident folder's repo/)."""
    return str(ctx.memory.get("repo_root") or f"{root(ctx)}/repo")


def repo_files(ctx: Context) -> list[str]:
    """Paths of the repository's files, sorted."""
    prefix = repo_root(ctx) + "/"
    return sorted(path for path in ctx.files if path.startswith(prefix))


def deploy_service(deploy: dict[str, Any]) -> str:
    """The service a deploy record names: its own `service`, or a GitHub deployment's payload.service."""
    payload = deploy.get("payload")
    named = deploy.get("service") or (payload.get("service") if isinstance(payload, dict) else None)
    return str(named or "")


def deploy_name(deploy: dict[str, Any]) -> str:
    """How a deploy is named in a sentence: its id ("d-4471"), or "#12" for a GitHub deployment's number."""
    number = deploy.get("id")
    return f"#{number}" if isinstance(number, int) else str(number)


def rel(ctx: Context, path: str) -> str:
    """The path relative to the incident folder (runbooks/oom.md)."""
    return path.removeprefix(root(ctx) + "/")


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


def _pick(payload: Any, keys: tuple[str, ...], kind: type) -> Any:
    """The first value of the given kind under one of keys, else under any key; payload itself if not an object."""
    if not isinstance(payload, dict):
        return payload
    for key in keys:
        if isinstance(payload.get(key), kind):
            return payload[key]
    return next((value for value in payload.values() if isinstance(value, kind)), None)


def series(payload: Any) -> list[tuple[datetime, float]]:
    """[(time, value)] from a get_metrics answer: a bare list of points or an object holding one."""
    points = _pick(payload, ("points", "series", "values", "data"), list)
    return [
        (when(point["t"]), float(point["v"]))
        for point in (points if isinstance(points, list) else [])
        if isinstance(point, dict) and "t" in point and isinstance(point.get("v"), (int, float))
    ]


def deploy_list(payload: Any) -> list[dict[str, Any]]:
    """Deploy records from a get_recent_deploys answer: a bare list or an object holding one."""
    deploys = _pick(payload, ("deploys", "items", "data"), list)
    return [d for d in deploys if isinstance(d, dict) and "deployed_at" in d] if isinstance(deploys, list) else []


def diff_text(payload: Any) -> str:
    """The patch text from a get_diff answer: plain text, a JSON string, or an object with it."""
    text = _pick(payload, ("diff", "patch", "text", "show"), str)
    return text if isinstance(text, str) else ""


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
        catalogue = json.loads(ctx.files.get(f"{root(ctx)}/metrics.json", b"{}")).get(service, {})
    except (ValueError, AttributeError):
        catalogue = {}
    return [next((name for name in catalogue if word in name), word) for word in wanted]


async def find_runbook(ctx: Context, name: str, pattern: str) -> str | None:
    """runbooks/<name> if mounted, else the first runbook whose text matches pattern (found with grep -l)."""
    books, preferred = mounted(ctx, "runbooks"), f"{root(ctx)}/runbooks/{name}"
    if preferred in books:
        return preferred
    if not books:
        return None
    found = await ctx.bash(f"grep -l -i -E {shlex.quote(pattern)} {' '.join(map(shlex.quote, books))}")
    names = {PurePosixPath(line.strip()).name for line in found.splitlines()}
    return next((book for book in books if PurePosixPath(book).name in names), None)
