"""The query parameters of Loki's range and label endpoints, checked as Loki checks them (its own error texts)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ParamError", "RangeParams", "parse_range", "parse_window"]

NS = 1_000_000_000
DEFAULT_LIMIT = 100
_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_NS = (365 * 86400 * NS, 7 * 86400 * NS, 86400 * NS, 3600 * NS, 60 * NS, NS, NS // 1000)
RANGE_PARAMS = frozenset({"query", "start", "end", "since", "limit", "direction", "step"})
WINDOW_PARAMS = frozenset({"query", "start", "end", "since"})


class ParamError(ValueError):
    """A parameter Loki would refuse with 400."""


@dataclass(frozen=True, slots=True)
class RangeParams:
    query: str
    start: int  # ns, inclusive
    end: int  # ns, exclusive
    limit: int
    forward: bool


def _duration_ns(value: str, name: str) -> int:
    try:
        return int(float(value) * NS)
    except ValueError:
        match = _DURATION.fullmatch(value)
        if match is None or not any(match.groups()):
            raise ParamError(f'invalid parameter "{name}": cannot parse "{value}" to a valid duration') from None
        return sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_NS, strict=True) if n)


def _timestamp_ns(value: str, name: str) -> int:
    """Loki's timestamp forms: epoch nanoseconds, fractional epoch seconds, or RFC 3339."""
    try:
        if "." in value:
            return int(float(value) * NS)
        return int(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParamError(f'invalid parameter "{name}": cannot parse "{value}" to a valid timestamp') from None
    if moment.tzinfo is None:
        raise ParamError(f'invalid parameter "{name}": cannot parse "{value}" to a valid timestamp')
    return int(moment.timestamp()) * NS + moment.microsecond * 1000


def _refuse_unknown(query: Mapping[str, str], known: frozenset[str]) -> None:
    for name in query:
        if name == "interval":
            raise ParamError('the "interval" parameter is not implemented by this Loki stand-in')
        if name not in known:
            raise ParamError(f'unknown parameter "{name}": this Loki stand-in implements {", ".join(sorted(known))}')


def parse_window(query: Mapping[str, str], *, default_since_ns: int, known: frozenset[str] = WINDOW_PARAMS,
                 now_ns: int | None = None) -> tuple[int, int]:  # fmt: skip
    """(start, end) in ns from start/end/since; start defaults to `since` (or the default) before end."""
    _refuse_unknown(query, known)
    now = time.time_ns() if now_ns is None else now_ns
    end = _timestamp_ns(query["end"], "end") if query.get("end") else now
    if query.get("start"):
        start = _timestamp_ns(query["start"], "start")
    else:
        since = _duration_ns(query["since"], "since") if query.get("since") else default_since_ns
        start = min(end, now) - since  # Loki: an end in the future counts from now
    if end <= start:
        raise ParamError("end timestamp must not be before or equal to start time")
    return start, end


def parse_range(query: Mapping[str, str], *, max_entries: int, now_ns: int | None = None) -> RangeParams:
    """The range query's parameters, refused the way Loki refuses them."""
    start, end = parse_window(query, default_since_ns=3600 * NS, known=RANGE_PARAMS, now_ns=now_ns)
    raw_limit = query.get("limit", "")
    try:
        limit = int(raw_limit) if raw_limit else DEFAULT_LIMIT
    except ValueError:
        raise ParamError(f'invalid parameter "limit": strconv.Atoi: parsing "{raw_limit}": invalid syntax') from None
    if limit <= 0:
        raise ParamError("limit must be a positive value")
    if limit > max_entries:
        raise ParamError(f"max entries limit per query exceeded, limit > max_entries_limit_per_query "
                         f"({limit} > {max_entries})")  # fmt: skip
    direction = query.get("direction", "backward")
    if direction.upper() not in ("FORWARD", "BACKWARD"):
        raise ParamError(f"invalid direction '{direction}'")
    if query.get("step") and _duration_ns(query["step"], "step") <= 0:
        raise ParamError("zero or negative query resolution step widths are not accepted. Try a positive integer")
    return RangeParams(query.get("query", ""), start, end, limit, direction.upper() == "FORWARD")
