"""The session's working folder: mounted files written out, `bash -c` and file reads with /mnt/session and
/workspace (where repositories are cloned) mapped to folders of their own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

__all__ = ["MOUNT_ROOT", "Sandbox"]

MOUNT_ROOT = "/mnt/session"
WORKSPACE = "/workspace"
MAX_OUTPUT = 30_000


class Sandbox:
    """A temporary folder standing in for the container: its /mnt/session (the working folder) and /workspace."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.container = Path(tempfile.mkdtemp(prefix="managed-agents-session-"))
        self.root = self.container / "mnt" / "session"  # the container's /mnt/session
        self._mounts = {MOUNT_ROOT: self.root, WORKSPACE: self.container / "workspace"}
        for folder in self._mounts.values():
            folder.mkdir(parents=True)
        for mount_path, content in files.items():
            target = self.local(mount_path)
            if target is None:
                raise ValueError(f"mount path outside {MOUNT_ROOT}: {mount_path}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    @classmethod
    async def create(cls, files: Mapping[str, bytes]) -> Sandbox:
        """Write the mounted files out in a worker thread (they can be large)."""
        return await asyncio.to_thread(cls, files)

    def local(self, path: str) -> Path | None:
        """The local path for a path under /mnt/session or /workspace (relative paths count from /mnt/session);
        None outside them."""
        posix = PurePosixPath(MOUNT_ROOT, path)
        if ".." in posix.parts:
            return None
        for mount, folder in self._mounts.items():
            if posix == PurePosixPath(mount) or posix.is_relative_to(mount):
                return folder.joinpath(*posix.relative_to(mount).parts)
        return None

    def _to_local(self, text: str) -> str:
        for mount, folder in self._mounts.items():
            text = text.replace(mount, str(folder))
        return text

    def _to_container(self, text: str) -> str:
        for mount, folder in self._mounts.items():
            text = text.replace(str(folder), mount)
        return text

    async def bash(self, command: str, *, timeout: float = 20.0) -> tuple[str, bool]:
        """Run `bash -c` in the folder; (stdout+stderr with paths mapped back, timed out?)."""
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", self._to_local(command), cwd=self.root,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True, env=self._env(),
        )
        timed_out = False
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            timed_out = True
            out = b""
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: bash and what it started
                await proc.wait()
        text = self._to_container(out.decode("utf-8", "replace"))
        if timed_out:
            text += f"\n[command timed out after {timeout:g} s]"
        return _truncate(text), timed_out

    def _env(self) -> dict[str, str]:
        # Only what a shell needs: the process environment may hold the bot's Slack and API tokens.
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.root), "LANG": "C.UTF-8"}

    async def read(self, path: str) -> str | None:
        """A mounted file's text, or None if there is no such file."""
        return await asyncio.to_thread(self._read, path)

    def _read(self, path: str) -> str | None:
        target = self.local(path)
        if target is None or not target.is_file():
            return None
        return _truncate(target.read_bytes().decode("utf-8", "replace"))

    def remove(self) -> None:
        """Delete the folder."""
        shutil.rmtree(self.container, ignore_errors=True)


def _truncate(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return text[:MAX_OUTPUT - 40] + f"\n[output truncated: {len(text)} characters]"
