"""Checking who sent a webhook (PagerDuty signatures, bearer tokens) and remembering what was delivered."""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from datetime import datetime, timezone

__all__ = ["RecentIds", "bearer_ok", "pagerduty_signature_ok", "seconds_since"]


def pagerduty_signature_ok(body: bytes, header: str, secret: str) -> bool:
    """Whether any `v1=<hex>` in X-PagerDuty-Signature is the HMAC-SHA256 of the raw body with the secret."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    ok = False
    for part in header.split(",")[:20]:
        version, _, signature = part.strip().partition("=")
        if version == "v1":  # compare every candidate: no early exit, no timing hint
            ok |= hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))
    return ok


def seconds_since(stamp: str, now: datetime) -> float | None:
    """Seconds from an ISO-8601 time to `now` (negative when it is later); None when it is not such a time."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (now - when).total_seconds()


def bearer_ok(header: str, token: str) -> bool:
    """Whether an Authorization header is `Bearer <token>` (constant-time)."""
    scheme, _, given = header.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode())


class RecentIds:
    """The last `limit` delivery ids seen: at-least-once delivery must not open two incidents."""

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, key: str) -> bool:
        """Remember an id; False when it was already there."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        while len(self._ids) > self._limit:
            self._ids.popitem(last=False)
        return True

    def discard(self, key: str) -> None:
        """Forget an id, so that a redelivery after a failure is handled again."""
        self._ids.pop(key, None)

    def __len__(self) -> int:
        return len(self._ids)
