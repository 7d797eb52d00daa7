"""What git reads in a diff that an approver must look at closely, and what cannot be reviewed in Slack at all."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.prs.base import GitError
from bot.prs.git import run_git
from bot.prs.patching import DiffDoesNotApply, parse_variants, unreadable
from bot.secrets import holds_secret

__all__ = ["DiffReview", "MAX_DIFF_CHARS", "MAX_NOTES", "refusal_text", "review_diff"]

MAX_DIFF_CHARS = 200_000  # a bigger diff is not something a person reviews in Slack (and it is echoed to the agent)
MAX_NOTES = 20
_PATH_CHARS = 200
_SYMLINK, _GITLINK, _EXECUTABLE = "120000", "160000", "100755"
_UNREVIEWABLE = {_SYMLINK: "symbolic link", _GITLINK: "submodule"}
# Files that CI, a build or a package manager runs or obeys, wherever they are in the tree (lower case).
_BUILD_FILES = frozenset({
    "makefile", "gnumakefile", "jenkinsfile", "vagrantfile", "rakefile", "gemfile", "justfile", "taskfile.yml",
    "taskfile.yaml", "setup.py", "setup.cfg", "pyproject.toml", "conftest.py", "noxfile.py", "tox.ini",
    "package.json", "build.gradle", "build.gradle.kts", "settings.gradle", "pom.xml", "cargo.toml", "build.rs",
    "codeowners", "skaffold.yaml", "tiltfile", "bitbucket-pipelines.yml", "azure-pipelines.yml", "cloudbuild.yaml",
})


@dataclass(frozen=True, slots=True)
class DiffReview:
    """Why a diff must not become a PR (empty: it may), and the call-outs its approval card shows in words."""

    refusals: tuple[str, ...]
    notes: tuple[str, ...]


def _short(path: str) -> str:
    return path if len(path) <= _PATH_CHARS else path[: _PATH_CHARS - 1] + "…"


def _numstat(out: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """(path, binary) per file from `git apply --numstat -z`, and the `--summary` lines that follow them."""
    *records, summary = out.split("\0")
    files = []
    for record in records:
        fields = record.split("\t", 2)  # added, deleted, path (a path may itself hold tabs)
        added, path = (fields[0], fields[2]) if len(fields) == 3 else ("", record)
        if path:
            files.append((path, added == "-"))
    return files, summary.splitlines()


def _modes(summary: list[str], diff: str) -> tuple[list[str], list[str]]:
    """(refusals, notes) from the modes git reports, and from `index` lines naming an existing link's mode."""
    refusals: list[str] = []
    notes: list[str] = []
    for line in summary:
        words = line.strip().split(" ")
        if words[:2] == ["create", "mode"] and len(words) > 3:
            mode, path = words[2], _short(" ".join(words[3:]))
            if mode in _UNREVIEWABLE:
                refusals.append(f"{path} is a {_UNREVIEWABLE[mode]}")
            elif mode == _EXECUTABLE:
                notes.append(f"new executable file {path}")
        elif words[:2] == ["mode", "change"] and len(words) > 5:
            old, new, path = words[2], words[4], _short(" ".join(words[5:]))
            kinds = [_UNREVIEWABLE[m] for m in (old, new) if m in _UNREVIEWABLE]
            if kinds:
                refusals.append(f"{path} becomes or stops being a {kinds[0]}")
            else:
                why = " (makes it executable)" if new == _EXECUTABLE else ""
                notes.append(f"mode change {old} → {new} on {path}{why}")
    # git reports no mode for an existing file it patches; its `index` line does. The lines of a hunk never start
    # with "index", so every such line is a header (or junk git ignores: refusing that is harmless).
    for line in diff.split("\n"):
        if line.startswith("index ") and (mode := line.split()[-1]) in _UNREVIEWABLE:
            refusals.append(f"the diff changes an existing {_UNREVIEWABLE[mode]} ({_short(line.strip())})")
    return refusals, notes


def _placement(path: str) -> str | None:
    """Why a path is outside the usual tree, in words, or None."""
    parts = PurePosixPath(path).parts
    name = _short(path)
    if parts and parts[0] == ".github":
        return f"{name} is under .github/ (CI workflows, actions and review rules)"
    if any(p.startswith(".") for p in parts):
        return f"{name} is a dotfile (configuration that git, CI or other tools obey)"
    if parts and (parts[-1].lower() in _BUILD_FILES or parts[-1].lower().startswith(("dockerfile", "containerfile"))):
        return f"{name} is a build or CI script"
    return None


def _secrets(diff: str) -> tuple[list[str], list[str]]:
    """(refusals, notes): an added line holding what looks like a secret is refused (it would be committed, and the
    approver would see it redacted); removed or context lines holding one are called out (they show redacted)."""
    added: dict[str, None] = {}
    shown: dict[str, None] = {}
    path = "?"
    for line in diff.split("\n"):
        if line.startswith(("+++ ", "--- ")):
            name = line[4:].split("\t", 1)[0].strip()
            if name != "/dev/null":
                path = _short(name[2:] if name[:2] in ("a/", "b/") else name)
        elif line[:1] == "+" and holds_secret(line):
            added[path] = None
        elif line[:1] in ("-", " ") and holds_secret(line):
            shown[path] = None
    refusals = [f"{p} adds a line that looks like a secret (a token or private key): credentials never go into the "
                "repository; reference them by name (a secret store, an environment variable)" for p in added]
    notes = [f"{p}: lines that look like a secret are shown …[redacted] here" for p in shown if p not in added]
    return refusals, notes


async def _read_each_way(work: Path, diff: str, *, call_outs: bool) -> tuple[list[str], list[str]]:
    """`git apply --numstat --summary -z` of the diff (and, for call-outs, of its reverse: the old names of renamed
    and deleted files) read every way a store may apply it (as written, recounted: bot/prs/patching.py), one output
    per way that reads it; GitError only when no way does."""
    forward: list[str] = []
    backward: list[str] = []
    failure: GitError | None = None
    for flags, patch in parse_variants(diff):
        try:
            forward.append(await run_git(work, "apply", "--numstat", "--summary", "-z", *flags, "-", stdin=patch))
            if call_outs:
                backward.append(await run_git(work, "apply", "-R", "--numstat", "-z", *flags, "-", stdin=patch))
        except GitError as exc:
            failure = failure or exc  # the diff as written: its line numbers are the agent's
    if not forward and failure is not None:
        raise DiffDoesNotApply(unreadable(str(failure), diff))
    return forward, backward


async def review_diff(diff: str, *, call_outs: bool = True) -> DiffReview:
    """Read a diff as `git apply` does: binary patches, links and submodules refused; the rest called out in words
    (unless `call_outs` is false: then only the refusals are looked for, with one git process fewer)."""
    if len(diff) > MAX_DIFF_CHARS:
        return DiffReview((f"the diff has {len(diff):,} characters (at most {MAX_DIFF_CHARS:,})",), ())
    work = Path(tempfile.mkdtemp(prefix="incident-bot-review-"))  # outside every repository: only the patch is read
    try:
        forward, backward = await _read_each_way(work, diff, call_outs=call_outs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    read = [_numstat(out) for out in forward]
    files = list(dict.fromkeys(f for found, _ in read for f in found))
    summary = list(dict.fromkeys(line for _, lines in read for line in lines))
    refusals = [f"{_short(path)} is a binary patch" for path, binary in files if binary]
    more_refusals, notes = _modes(summary, diff)
    refusals += more_refusals
    secret_refusals, secret_notes = _secrets(diff)
    refusals += secret_refusals
    notes += secret_notes
    if not call_outs:
        return DiffReview(tuple(dict.fromkeys(refusals)), ())
    paths = dict.fromkeys([p for p, _ in files] + [p for out in backward for p, _ in _numstat(out)[0]])
    notes += [why for path in paths if (why := _placement(path)) is not None]
    if len(notes) > MAX_NOTES:
        notes = notes[: MAX_NOTES - 1] + [f"… and {len(notes) - MAX_NOTES + 1} more call-outs: read the whole diff"]
    return DiffReview(tuple(dict.fromkeys(refusals)), tuple(dict.fromkeys(notes)))


def refusal_text(review: DiffReview, *, opened: int | None = None) -> str:
    """The error an agent reads when its diff cannot become a PR it may ask approval for."""
    outcome = "so no pull request was opened" if opened is None else (
        f"so the bot will neither ask approval for pull request #{opened} nor merge it"
    )
    return (
        f"refused: this diff cannot be reviewed in Slack, {outcome}: " + "; ".join(review.refusals[:MAX_NOTES])
        + ". Open a pull request with text changes only; describe anything else in its body for a person to do."
    )

