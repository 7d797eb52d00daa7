"""Reading values the agent wrote: any JSON shape comes in, a plain answer comes out, never an exception."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from datetime import datetime

__all__ = ["MAX_PR_NUMBER", "approval_pr", "parse_time", "pr_number", "shown"]

MAX_PR_NUMBER = 10**9
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxlong, _REPR.maxother = 2, 40, 40, 40


def pr_number(value: object) -> int | None:
    """A pull request number (a positive whole number, or its digits), else None: bools, fractions, inf, objects."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():  # also nan and inf
            return None
        value = int(value)
    elif isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit() and len(digits) <= len(str(MAX_PR_NUMBER))):
            return None
        value = int(digits)
    if isinstance(value, int) and 0 < value <= MAX_PR_NUMBER:
        return value
    return None


def approval_pr(tool_input: Mapping[str, object], latest: int | None) -> int | None:
    """The PR a request_approval call asks about: its pr_number; the incident's latest PR when it names none; None,
    an action with no diff, for `"pr_number": null` or when there is no PR yet (and for a value that is no number,
    which the tool refuses)."""
    if "pr_number" not in tool_input:
        return latest
    return pr_number(tool_input["pr_number"])


def shown(value: object) -> str:
    """A short, bounded rendering of a value for an error message."""
    try:
        return _REPR.repr(value)
    except ValueError:  # an int too long for repr()
        return f"<{type(value).__name__}>"


def parse_time(value: object) -> datetime | None:
    """Parse an ISO-8601 timestamp from an event (or pass a datetime through)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
