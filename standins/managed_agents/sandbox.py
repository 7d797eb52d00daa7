"""The session's working folder: mounted files written out, `bash -c` and file reads with /mnt/session mapped."""

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
MAX_OUTPUT = 30_000


class Sandbox:
    """A temporary folder standing in for the container's /mnt/session."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="managed-agents-session-"))
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
        """The local path for a path under /mnt/session (relative paths count from it); None outside it."""
        posix = PurePosixPath(MOUNT_ROOT, path)
        if ".." in posix.parts or not (posix == PurePosixPath(MOUNT_ROOT) or posix.is_relative_to(MOUNT_ROOT)):
            return None
        return self.root.joinpath(*posix.relative_to(MOUNT_ROOT).parts)

    async def bash(self, command: str, *, timeout: float = 20.0) -> tuple[str, bool]:
        """Run `bash -c` in the folder; (stdout+stderr with paths mapped back, timed out?)."""
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", command.replace(MOUNT_ROOT, str(self.root)), cwd=self.root,
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
        text = out.decode("utf-8", "replace").replace(str(self.root), MOUNT_ROOT)
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
        shutil.rmtree(self.root, ignore_errors=True)


def _truncate(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return text[:MAX_OUTPUT - 40] + f"\n[output truncated: {len(text)} characters]"
