"""Recognising secrets (Slack tokens, API keys, webhook secrets) so they reach neither logs nor Slack."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["redact", "redact_blocks"]

_TOKEN = (
    r"(xox[abprs]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|sk-ant-[A-Za-z0-9_-]{6,}|whsec_[A-Za-z0-9+/=]{6,}"
    r"|gh[pousr]_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16})"
)
_SECRET = re.compile(r"\b" + _TOKEN)
# Without the word boundary: JSON escapes turn a newline before a token into "\\n", a word character,
# so only this looser pattern is sure to see every token in a serialised payload.
_MAYBE_SECRET = re.compile(_TOKEN)


def redact(text: str) -> str:
    """Replace anything that looks like a token or key with its first characters and a marker."""
    return _SECRET.sub(lambda m: m.group(1)[:5] + "…[redacted]", text)


def redact_blocks(value: Any) -> Any:
    """The same structure with every string redacted (for Block Kit payloads); `value` itself when it holds none.

    Every message is checked on every update, so the usual case (nothing to hide) costs one C-speed
    serialisation and one regex scan instead of a walk that copies every block.
    """
    if not _MAYBE_SECRET.search(json.dumps(value, ensure_ascii=False, default=str)):
        return value
    return _redact_all(value)


def _redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_all(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    return value
