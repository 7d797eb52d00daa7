"""Recognising secrets (Slack tokens, API keys, webhook secrets) so they reach neither logs nor Slack."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["redact", "redact_blocks"]

_SECRET = re.compile(
    r"\b(xox[abprs]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|sk-ant-[A-Za-z0-9_-]{6,}|whsec_[A-Za-z0-9+/=]{6,}"
    r"|gh[pousr]_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16})"
)


def redact(text: str) -> str:
    """Replace anything that looks like a token or key with its first characters and a marker."""
    return _SECRET.sub(lambda m: m.group(1)[:5] + "…[redacted]", text)


def redact_blocks(value: Any) -> Any:
    """The same structure with every string redacted (for Block Kit payloads)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_blocks(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_blocks(v) for k, v in value.items()}
    return value
