"""Ids and increasing timestamps in the API's formats."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timedelta, timezone

__all__ = ["Clock", "new_id", "iso", "parse_time"]

_ALPHABET = string.ascii_letters + string.digits
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def new_id(prefix: str) -> str:
    """A fresh id such as `sesn_011C...` (the API's prefix, then 24 base62 characters)."""
    return f"{prefix}_011C" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


def iso(moment: datetime) -> str:
    """RFC 3339 with microseconds and a `Z`, as the API writes timestamps."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (naive ones are taken as UTC); ValueError if malformed."""
    # An unencoded "+" in a query string arrives as a space.
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip())
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Clock:
    """Wall-clock time that never goes back. By default it never repeats either, so processed_at is strictly
    increasing; with a `resolution` (seconds) it is cut to that grain, so events close together share one
    timestamp, as nothing in the API rules out."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=timezone.utc)
        self.resolution = 0.0

    def now(self) -> datetime:
        """The current UTC time: a microsecond after the previous call, or the previous one's grain if coarse."""
        moment = datetime.now(timezone.utc)
        if self.resolution > 0:
            grain = int(self.resolution * 1_000_000)
            micros = int((moment - _EPOCH) / timedelta(microseconds=1)) // grain * grain
            moment = max(_EPOCH + timedelta(microseconds=micros), self._last)
        elif moment <= self._last:
            moment = self._last + timedelta(microseconds=1)
        self._last = moment
        return moment

    def stamp(self) -> str:
        """now() formatted for the wire."""
        return iso(self.now())
