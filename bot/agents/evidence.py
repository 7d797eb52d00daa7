"""An incident's evidence folder: what is mounted into the session, and what the data tools answer from.

The folder is read once, in a worker thread (the event loop never waits on the disk): the file list, and the JSON
and diffs the data tools answer from."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.agents.mounts import evidence_path

__all__ = ["Evidence", "load_evidence"]

log = logging.getLogger(__name__)

_NOT_EVIDENCE = {"generate.py", "incident.json"}
_ANSWERED_FROM = ("alert.json", "metrics.json", "deploys.json")  # read once, as JSON, for the data tools
_gen_locks: dict[Path, asyncio.Lock] = {}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The files of one incident, by path relative to the folder, with the data tools' answers."""

    folder: Path
    incident_id: str
    title: str
    service: str
    files: dict[str, Path] = field(default_factory=dict)
    parsed: Mapping[str, Any] = field(default_factory=dict, repr=False)  # alert.json etc. as read (None: unreadable)
    diffs: Mapping[str, str] = field(default_factory=dict, repr=False)  # diff.txt and diffs/*, by relative path

    @property
    def repo_dir(self) -> Path:
        return self.folder / "repo"

    def mount_path(self, rel: str) -> str:
        return evidence_path(rel)

    def alert(self) -> dict[str, Any] | None:
        """The alert that opened this incident in the fixture, if the folder has one."""
        return self.parsed.get("alert.json")

    def metrics(self) -> dict[str, Any]:
        data = self.parsed.get("metrics.json")
        return data if isinstance(data, dict) else {}

    def deploys(self) -> list[Any]:
        data = self.parsed.get("deploys.json")
        if isinstance(data, dict):
            data = data.get("deploys", [])
        return data if isinstance(data, list) else []

    def diff_for(self, commit: str) -> str | None:
        """The diff of a commit (matched by prefix, at least 7 characters) from diff.txt or diffs/*."""
        commit = commit.strip().lower()
        if len(commit) < 7:
            return None
        for rel, text in sorted(self.diffs.items()):
            first = text.splitlines()[0].split() if text.strip() else []
            sha = first[1].lower() if len(first) >= 2 and first[0] == "commit" else Path(rel).stem.lower()
            if sha.startswith(commit) or commit.startswith(sha):
                return text
        return None


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        log.warning("could not read %s as JSON", path)
        return None


def _walk(folder: Path) -> dict[str, Path]:
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    }


def _generate(script: Path, out_dir: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"_incident_gen_{abs(hash(script))}", script)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    module.generate(tmp)
    tmp.rename(out_dir)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        log.warning("could not read %s", path)
        return None


def _read_folder(folder: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    meta = _load_json(folder / "incident.json") if (folder / "incident.json").is_file() else None
    files = {rel: p for rel, p in _walk(folder).items() if rel not in _NOT_EVIDENCE}
    return (meta if isinstance(meta, dict) else {}), files


def _read_answers(files: Mapping[str, Path]) -> tuple[dict[str, Any], dict[str, str]]:
    parsed = {rel: _load_json(files[rel]) for rel in _ANSWERED_FROM if rel in files}
    diffs = {rel: text for rel, path in files.items()
             if (rel == "diff.txt" or rel.startswith("diffs/")) and (text := _read_text(path)) is not None}  # fmt: skip
    return parsed, diffs


async def load_evidence(folder: Path, *, work_dir: Path) -> Evidence:
    """Read an incident folder, generating its large files once (deterministically) under work_dir."""
    folder = folder.resolve()
    meta, files = await asyncio.to_thread(_read_folder, folder)
    incident_id = str(meta.get("id") or folder.name)
    script = folder / "generate.py"
    if script.is_file():
        out_dir = (work_dir / "generated" / incident_id).resolve()
        lock = _gen_locks.setdefault(out_dir, asyncio.Lock())
        async with lock:
            if not out_dir.is_dir():
                log.info("generating evidence for %s into %s", incident_id, out_dir)
                await asyncio.to_thread(_generate, script, out_dir)
        files.update(await asyncio.to_thread(_walk, out_dir))
    parsed, diffs = await asyncio.to_thread(_read_answers, files)
    return Evidence(
        folder=folder,
        incident_id=incident_id,
        title=str(meta.get("title") or incident_id),
        service=str(meta.get("service") or ""),
        files=files,
        parsed=parsed,
        diffs=diffs,
    )
