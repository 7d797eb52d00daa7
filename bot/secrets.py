"""Recognising secrets (Slack tokens, API keys, webhook secrets, private keys) so they reach neither logs nor Slack.

Redact whole text before it is split or truncated: a token cut in two no longer looks like one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from enum import Enum
from typing import Any, TypeVar

__all__ = ["holds_secret", "redact", "redact_blocks", "redact_view"]

View = TypeVar("View")

# No `\b` before a token: after a literal `\n` (JSON-escaped text) or glued to a word there is no word boundary.
# Every branch starts with a literal character (so the engine skips to candidates at C speed) and ends with one
# greedy run that nothing follows: a failed attempt costs at most the run's minimum length.
_TOKEN = (
    r"xox[abcdeprs](?:\.xox[bp])?-[A-Za-z0-9-]{6,}"  # Slack: bot, user, client, cookie, rotating refresh…
    r"|xapp-[A-Za-z0-9-]{6,}"  # Slack app-level
    r"|sk-ant-[A-Za-z0-9_-]{6,}"  # Anthropic
    r"|whsec_[A-Za-z0-9+/=]{6,}"  # Standard Webhooks signing secret
    r"|gh[pousr]_[A-Za-z0-9]{16,}"  # GitHub classic and app tokens
    r"|github_pat_[A-Za-z0-9_]{20,}"  # GitHub fine-grained
    r"|A[KS]IA[0-9A-Z]{16}(?![0-9A-Z])"  # AWS access key ids (long-term and temporary), exactly 20 characters
)
# A PEM private key: the BEGIN line, then either anything key-shaped up to the END line (lines or spaces between,
# as pasted into a variable), or key-shaped lines alone (base64 or PEM headers, prefixed as in a diff or a quote,
# separated by real or JSON-escaped newlines) with or without the END line. Possessive and bounded: each key is
# scanned at most twice, and a line that is not key-shaped ends the key, so what follows an unterminated key
# (prose, code) stays visible.
_NL = r"(?:\r?\n|\\r\\n|\\n)"
_LABEL = r"[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----"
_KEY_LINE = (
    rf"(?:[ \t]*+{_NL}){{1,3}}+[ \t>+-]{{0,4}}"
    r"(?:[A-Za-z0-9+/=]{1,4096}+|(?:Proc-Type|DEK-Info|Comment|Version):[^\r\n\\]{0,200}+)"
    r"(?=[ \t]*+(?:\r|\n|\\[rn]|\Z))"
)
_PEM = (
    rf"-----BEGIN(?P<pem>{_LABEL})(?:…\[redacted\])?+"  # redacting twice changes nothing
    rf"(?:[A-Za-z0-9+/=\s\\]{{0,20000}}+-----END{_LABEL}"
    rf"|(?:{_KEY_LINE}){{0,1000}}+(?:(?:[ \t]*+{_NL}){{1,3}}+[ \t>+]{{0,4}}-?-----END{_LABEL})?)"
)
_SECRET = re.compile(f"{_PEM}|{_TOKEN}")
_MAYBE_SECRET = re.compile(f"-----BEGIN|{_TOKEN}")  # cheap first look at a serialised payload


def _marker(match: re.Match[str]) -> str:
    label = match.group("pem")
    return f"-----BEGIN{label}…[redacted]" if label else match.group(0)[:5] + "…[redacted]"


def holds_secret(text: str) -> bool:
    """Whether redact() would hide anything in this text."""
    return _SECRET.search(text) is not None


def redact(text: str) -> str:
    """Replace anything that looks like a token or key with its first characters and a marker."""
    return _SECRET.sub(_marker, text)


def redact_blocks(value: Any) -> Any:
    """The same structure with every string redacted (for Block Kit payloads); `value` itself when it holds none.

    Every message is checked on every update, so the usual case (nothing to hide) costs one C-speed
    serialisation and one regex scan instead of a walk that copies every block.
    """
    if not _MAYBE_SECRET.search(json.dumps(value, ensure_ascii=False, default=str)):
        return value
    return _redact_all(value)


def redact_view(view: View) -> View:
    """A view model (frozen dataclass) with every string in it redacted, before a builder splits or cuts it."""
    return _redact_all(view)


def _redact_all(value: Any) -> Any:
    if isinstance(value, Enum):  # a StrEnum is a str, but it is ours, and must stay the same member
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_all(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact_all(v) for v in value)
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _redact_all(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
