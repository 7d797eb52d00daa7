"""Repository files that would make a git reading them as its own configuration run commands (each one appends
its name to a marker file): hooks, fsmonitor, and filter, diff and merge drivers named by attributes."""

from __future__ import annotations

from pathlib import Path

__all__ = ["KINDS", "git_poison", "new_file", "plant_poison"]

KINDS = ("hooks", "fsmonitor", "drivers")
_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "pre-merge-commit",
          "post-merge", "post-rewrite", "reference-transaction", "post-index-change", "pre-auto-gc")
_ATTRIBUTES = "* filter=pwn diff=pwn merge=pwn\n"


def new_file(path: str, text: str, *, mode: str = "100644") -> str:
    """The git diff that creates one file."""
    lines = text.splitlines(True)
    body = "".join("+" + line for line in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode {mode}\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{body}")


def _files(marker: Path, kind: str) -> dict[str, tuple[str, int]]:
    def run(what: str) -> str:
        return f'"echo {what} >> {marker} #"'

    if kind == "hooks":  # HOME's .gitconfig points core.hooksPath at hooks the same diff adds
        files = {".gitconfig": ("[core]\n\thooksPath = hooks\n", 0o644)}
        files.update({f"hooks/{h}": (f"#!/bin/sh\necho hook-{h} >> {marker}\n", 0o755) for h in _HOOKS})
        return files
    if kind == "fsmonitor":  # the XDG config: fsmonitor and the other core commands
        core = "".join(f"\t{key} = {run(key)}\n" for key in ("fsmonitor", "pager", "editor", "sshCommand", "askPass"))
        return {".config/git/config": (f"[core]\n{core}[gc]\n\tauto = 1\n", 0o644)}
    drivers = (f'[filter "pwn"]\n\tclean = {run("filter-clean")}\n\tsmudge = {run("filter-smudge")}\n'
               f'[diff "pwn"]\n\ttextconv = {run("textconv")}\n\tcommand = {run("diff-command")}\n'
               f'[diff]\n\texternal = {run("diff-external")}\n[merge "pwn"]\n\tdriver = {run("merge-driver")}\n')
    return {".gitconfig": (drivers, 0o644), ".gitattributes": (_ATTRIBUTES, 0o644),
            ".config/git/attributes": (_ATTRIBUTES, 0o644)}


def git_poison(marker: Path, kind: str) -> str:
    """A diff adding one kind of poison at the repository's root."""
    return "".join(new_file(path, text, mode="100755" if mode & 0o100 else "100644")
                   for path, (text, mode) in _files(marker, kind).items())


def plant_poison(folder: Path, marker: Path, kind: str) -> None:
    """Write the same files into a folder (a repository whose default branch already holds them)."""
    for path, (text, mode) in _files(marker, kind).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)
