"""A session's file resources as the API resolves them (the SDK's `BetaManagedAgentsFileResourceParams`): a file
without `mount_path` is mounted at `/mnt/session/uploads/<file_id>`; a relative `mount_path` counts from that
uploads folder; at most 100 files per session (the Managed Agents "Adding files" guide); each mounted file gets a
session-scoped copy (a new file id, `scope` = the session) that no other session may mount."""

from __future__ import annotations

import copy
from pathlib import PurePosixPath
from typing import Any

from .clock import iso, new_id
from .errors import invalid
from .store import Registry, StoredFile
from .validate import check_keys

__all__ = ["MAX_FILES", "UPLOADS", "file_resource", "scoped_copies"]

UPLOADS = "/mnt/session/uploads"
MAX_FILES = 100
_ROOT = PurePosixPath("/mnt/session")  # the only folder the stand-in's sandbox maps


def _mount_path(raw: object, file_id: str, where: str, prefix: str | None) -> str:
    if raw is None or raw == "":
        path = PurePosixPath(UPLOADS, file_id)
    elif isinstance(raw, str):
        path = PurePosixPath(raw) if raw.startswith("/") else PurePosixPath(UPLOADS, raw)
    else:
        raise invalid(f"{where}.mount_path: expected a string")
    if ".." in path.parts or not path.is_relative_to(_ROOT) or path == _ROOT:
        raise invalid(f"{where}.mount_path: must be a path under /mnt/session/ (relative paths count from {UPLOADS}/)")
    if prefix:  # a service that places every file under its own folder, below the path asked for
        path = PurePosixPath(prefix, *path.parts[1:])
    return str(path)


def file_resource(item: dict[str, Any], where: str, registry: Registry, *, prefix: str | None = None,
                  ) -> tuple[dict[str, Any], bytes]:  # fmt: skip
    """One file resource (wire shape, the given file id) and its content; 400 on what the API refuses."""
    check_keys(item, ("type", "file_id", "mount_path"), where)
    stored = registry.file(str(item.get("file_id")))
    if stored.meta["scope"] is not None:
        raise invalid(f"{where}.file_id: file {stored.meta['id']} is scoped to session {stored.meta['scope']['id']} "
                      "and cannot be mounted in another session")  # fmt: skip
    mount = _mount_path(item.get("mount_path"), stored.meta["id"], where, prefix)
    now = registry.clock.stamp()
    return {"id": new_id("sesrsc"), "type": "file", "file_id": stored.meta["id"], "mount_path": mount,
            "created_at": now, "updated_at": now}, stored.content  # fmt: skip


def scoped_copies(resources: list[dict[str, Any]], registry: Registry, session_id: str) -> None:
    """Give each mounted file a copy scoped to the session, and point the resource at it (as the API does)."""
    for resource in (r for r in resources if r["type"] == "file"):
        original = registry.file(resource["file_id"])
        meta = {**copy.deepcopy(original.meta), "id": new_id("file"), "created_at": iso(registry.clock.now()),
                "scope": {"type": "session", "id": session_id}}  # fmt: skip
        registry.files[meta["id"]] = StoredFile(meta, original.content, registry.next_seq(meta["id"]))
        resource["file_id"] = meta["id"]
