"""Checking a tool's arguments (they come from the agent): clear messages, never a guess."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["InputError", "duration_seconds", "integer", "known_arguments", "query_text"]

_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?")
_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


class InputError(ValueError):
    """An argument the agent must fix; the message says which and what is allowed."""


def known_arguments(arguments: Mapping[str, Any], allowed: tuple[str, ...], tool: str) -> None:
    """Refuse arguments the tool does not take (a typo would otherwise be silently ignored)."""
    unknown = sorted(set(arguments) - set(allowed))
    if unknown:
        raise InputError(f"unknown argument(s) {', '.join(unknown)}; {tool} takes {', '.join(allowed)}")


def query_text(value: object, *, max_chars: int, language: str) -> str:
    """A non-empty query string of at most max_chars characters."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"query must be a non-empty {language} string")
    if len(value) > max_chars:
        raise InputError(f"query is {len(value)} characters; at most {max_chars} are accepted")
    return value.strip()


def integer(value: object, *, name: str, default: int, low: int, high: int) -> int:
    """A whole number in [low, high] (a JSON number or a numeric string); default when absent."""
    if value is None:
        return default
    number: float
    if isinstance(value, bool):
        raise InputError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"{name} must be a whole number from {low} to {high}, got {value!r}") from None
    else:
        raise InputError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise InputError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(number)


def duration_seconds(value: object, *, name: str) -> float:
    """Seconds from a number or a Prometheus duration string ("30s", "5m", "1h30m")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            match = _DURATION.fullmatch(text)
            if match is None or not any(match.groups()):
                raise InputError(f"{name} must be seconds or a duration like 30s, 5m, 1h30m; got {value!r}") from None
            seconds = sum(int(n) * unit for n, unit in zip(match.groups(), _UNITS, strict=True) if n)
    else:
        raise InputError(f"{name} must be seconds or a duration like 30s, 5m, 1h30m; got {value!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"{name} must be positive, got {value!r}")
    return float(seconds)
