"""`github_repository` session resources: checked as the API documents them, cloned into the session's sandbox.

The shape is the SDK's `BetaManagedAgentsGitHubRepositoryResourceParams` and the platform's "Accessing GitHub" page:
`url` is https://github.com/<owner>/<repo> without a .git suffix, `checkout` a branch or a commit (default: the
default branch), `mount_path` defaults to /workspace/<repo>, and `authorization_token` is never returned. A clone
that fails does not fail the session: it becomes a `session.error` (repository_authentication_error,
repository_not_found_error, repository_checkout_error, ...; retry_status `retrying`) and the session runs without
the repository. The stand-in clones from a GitHub stand-in (github_url), never from github.com."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import invalid
from .validate import check_keys

__all__ = ["MOUNT_ROOTS", "RepositoryMount", "clone", "parse_repository"]

MOUNT_ROOTS = ("/workspace", "/mnt/session")
_URL = re.compile(r"https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)")
_SHA = re.compile(r"[0-9a-f]{40}")
_KEYS = ("type", "url", "authorization_token", "checkout", "mount_path")


@dataclass(frozen=True, slots=True)
class RepositoryMount:
    """One repository to clone: where from, as whom, what to check out, and where."""

    url: str
    owner: str
    name: str
    mount_path: str
    checkout: dict[str, str] | None
    token: str | None

    def wire(self, resource_id: str, now: str) -> dict[str, Any]:
        """The resource as the API returns it (never the token)."""
        return {"id": resource_id, "type": "github_repository", "url": self.url, "mount_path": self.mount_path,
                "checkout": self.checkout, "created_at": now, "updated_at": now}  # fmt: skip


def _checkout(value: object, where: str) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, dict) and value.get("type") == "branch":
        check_keys(value, ("type", "name"), where)
        if isinstance(value.get("name"), str) and value["name"]:
            return {"type": "branch", "name": value["name"]}
    if isinstance(value, dict) and value.get("type") == "commit":
        check_keys(value, ("type", "sha"), where)
        if isinstance(value.get("sha"), str) and _SHA.fullmatch(value["sha"]):
            return {"type": "commit", "sha": value["sha"]}
    raise invalid(f"{where}: expected {{type: branch, name}} or {{type: commit, sha: <full 40-character sha>}}")


def parse_repository(item: dict[str, Any], where: str) -> RepositoryMount:
    """A github_repository resource from a create-session request, or a 400 that says what is wrong."""
    check_keys(item, _KEYS, where)
    url = item.get("url")
    match = _URL.fullmatch(url) if isinstance(url, str) else None
    if match is None or match.group(2).endswith(".git"):
        raise invalid(f"{where}.url: must be the repository's HTTPS URL, https://github.com/<owner>/<repo>, "
                      f"without a .git suffix; got {url!r}")  # fmt: skip
    token = item.get("authorization_token")
    if token is not None and (not isinstance(token, str) or not token):
        raise invalid(f"{where}.authorization_token: expected a non-empty string")
    mount = item.get("mount_path") or f"/workspace/{match.group(2)}"
    path = PurePosixPath(mount) if isinstance(mount, str) else None
    if path is None or ".." in path.parts or not any(
            path.is_relative_to(root) and path != PurePosixPath(root) for root in MOUNT_ROOTS):  # fmt: skip
        raise invalid(f"{where}.mount_path: the stand-in mounts repositories under {' or '.join(MOUNT_ROOTS)}/")
    checkout = _checkout(item.get("checkout"), f"{where}.checkout")
    return RepositoryMount(url=str(url), owner=match.group(1), name=match.group(2), mount_path=str(path),
                           checkout=checkout, token=token)  # fmt: skip


def _env(home: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", os.defpath), "HOME": home, "LANG": "C", "LC_ALL": "C",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}  # fmt: skip


async def _git(*args: str, home: str, cwd: Path | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        "git", *args, cwd=cwd, env=_env(home), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode("utf-8", "replace")


def _error(kind: str, mount: RepositoryMount, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "repository_url": mount.url, "retry_status": {"type": "retrying"}}


def _failure(mount: RepositoryMount, output: str, source: str) -> dict[str, Any]:
    said = output.replace(source, mount.url).strip().splitlines()
    last = said[-1] if said else "git clone failed"
    if "could not read Username" in output or "Authentication failed" in output:
        return _error("repository_authentication_error", mount, f"GitHub rejected the credentials for {mount.url}")
    if "403" in output:
        return _error("repository_forbidden_error", mount, f"GitHub refused access to {mount.url}")
    if "not found" in output.lower() and "Remote branch" not in output:
        return _error("repository_not_found_error", mount, f"GitHub reported {mount.url} as not found")
    if "Remote branch" in output:
        return _error("repository_checkout_error", mount, f"{mount.url}: {last}")
    return _error("repository_clone_error", mount, f"could not clone {mount.url}: {last}")


async def clone(mount: RepositoryMount, target: Path, *, github_url: str) -> dict[str, Any] | None:
    """Clone into target (the local folder of mount_path) from the GitHub stand-in; None, or the session.error's
    `error` object. The token travels only in this command's header: nothing in the clone holds it."""
    source = f"{github_url.rstrip('/')}/{mount.owner}/{mount.name}.git"
    home = tempfile.mkdtemp(prefix="ma-git-home-")
    try:
        options = ["-c", "credential.helper=", "-c", "protocol.version=2"]
        if mount.token:
            basic = base64.b64encode(f"x-access-token:{mount.token}".encode()).decode()
            options += ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
        branch = ["--branch", mount.checkout["name"]] if mount.checkout and mount.checkout["type"] == "branch" else []
        code, out = await _git(*options, "clone", "--quiet", *branch, source, str(target), home=home)
        if code != 0:
            return _failure(mount, out, source)
        if mount.checkout and mount.checkout["type"] == "commit":
            code, out = await _git("checkout", "--quiet", "--detach", mount.checkout["sha"], home=home, cwd=target)
            if code != 0:
                return _error("repository_checkout_error", mount, f"{mount.url}: no commit {mount.checkout['sha']}")
        await _git("remote", "set-url", "origin", mount.url, home=home, cwd=target)
        return None
    finally:
        await asyncio.to_thread(shutil.rmtree, home, True)
