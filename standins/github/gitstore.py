"""The stand-in's storage: a real bare git repository, driven by git plumbing in subprocesses."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["GitFailed", "GitStore"]

_ENV = {
    "GIT_AUTHOR_NAME": "GitHub Stand-in",
    "GIT_AUTHOR_EMAIL": "noreply@github.invalid",
    "GIT_COMMITTER_NAME": "GitHub Stand-in",
    "GIT_COMMITTER_EMAIL": "noreply@github.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


class GitFailed(RuntimeError):
    """A git command of the stand-in failed (the handler turns it into a GitHub-style error)."""


class GitStore:
    """A bare repository under `root`; every read and write is a git command run off the event loop."""

    def __init__(self, root: Path) -> None:
        self.path = root / "repo.git"
        self._home = root

    async def git(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        """Run one git command in the bare repository; its stdout, or GitFailed with git's message."""
        full_env = {**os.environ, **_ENV, "HOME": str(self._home), **(env or {})}
        proc = await asyncio.create_subprocess_exec(
            "git", *args, cwd=self.path, env=full_env,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate(stdin)
        if proc.returncode != 0:
            raise GitFailed((err or out).decode(errors="replace").strip())
        return out

    async def text(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        """Like git(), stripped text."""
        return (await self.git(*args, stdin=stdin, env=env)).decode(errors="replace").strip()

    async def create(self, source: Path, *, branch: str) -> str:
        """Make the bare repository with one commit holding `source`; returns that commit."""
        self.path.mkdir(parents=True)
        await self.git("init", "-q", "--bare", "-b", branch)
        index = self._home / "import.index"
        env = {"GIT_INDEX_FILE": str(index)}
        if source.is_dir():
            where = ["-C", str(source), f"--git-dir={self.path}", "--work-tree=."]
            await self.git(*where, "add", "-A", env=env)
        tree = await self.text("write-tree", env=env)
        index.unlink(missing_ok=True)
        commit = await self.text("commit-tree", tree, "-m", "Initial import of the infra repository")
        await self.git("update-ref", f"refs/heads/{branch}", commit)
        return commit

    async def resolve(self, ref: str) -> str | None:
        """The commit a branch or sha names, or None."""
        try:
            return await self.text("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except GitFailed:
            return None

    async def object_type(self, sha: str) -> str | None:
        """blob, tree, commit, tag, or None when the object does not exist."""
        try:
            return await self.text("cat-file", "-t", sha)
        except GitFailed:
            return None

    async def ls_tree(self, tree: str) -> list[tuple[str, str, str, str]]:
        """(mode, type, sha, name) of one tree's direct entries."""
        out = await self.git("ls-tree", "-z", tree)
        rows = []
        for item in out.split(b"\0"):
            if item:
                meta, name = item.decode(errors="replace").split("\t", 1)
                mode, kind, sha = meta.split()
                rows.append((mode, kind, sha, name))
        return rows

    async def file_at(self, ref: str, path: str) -> bytes | None:
        """A file's bytes at a ref, or None."""
        try:
            return await self.git("cat-file", "blob", f"{ref}:{path}")
        except GitFailed:
            return None

    async def write_tree(self, base: str | None, entries: list[tuple[str, str, str | None]]) -> str:
        """A new tree: `base` with (mode, path, blob sha or None to delete) applied."""
        scratch = Path(tempfile.mkdtemp(prefix="index-", dir=self._home))
        env = {"GIT_INDEX_FILE": str(scratch / "index")}
        try:
            if base:
                await self.git("read-tree", base, env=env)
            else:
                await self.git("read-tree", "--empty", env=env)
            # --index-info: "mode sha<TAB>path"; mode 0 removes the path
            lines = [f"{mode} {sha}\t{path}" if sha else f"0 {'0' * 40}\t{path}" for mode, path, sha in entries]
            await self.git("update-index", "-z", "--index-info", stdin="".join(f"{line}\0" for line in lines).encode(),
                           env=env)
            return await self.text("write-tree", env=env)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    async def commit(self, tree: str, parents: list[str], message: str) -> str:
        """A commit object (the caller moves refs)."""
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return await self.text(*args, "-F", "-", stdin=message.encode())

    async def set_ref(self, ref: str, sha: str, *, old: str | None = None) -> None:
        """Move a ref; with `old`, only if it still points there (git checks atomically)."""
        await self.git("update-ref", ref, sha, *([old] if old is not None else []))

    async def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor, or None."""
        try:
            return await self.text("merge-base", a, b)
        except GitFailed:
            return None

    async def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging head into base, or None on conflicts."""
        try:
            return (await self.text("merge-tree", "--write-tree", base, head)).splitlines()[0]
        except GitFailed:
            return None

    async def diff(self, base: str, head: str) -> str:
        """The unified diff from base to head, as GitHub serves a PR's .diff."""
        return (await self.git("diff", "--full-index", base, head)).decode(errors="replace")
