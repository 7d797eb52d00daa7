"""Opaque page cursors over ordered lists, answering `{data, next_page[, prev_page]}`."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from .errors import invalid

__all__ = ["Page", "paginate", "parse_limit", "parse_order"]

T = TypeVar("T")
MAX_LIMIT = 1000


class Page(NamedTuple):
    """One page of items and the cursors around it."""

    items: list[Any]
    next_page: str | None
    prev_page: str | None

    def body(self, render: Callable[[Any], object], *, bidirectional: bool = False) -> dict[str, object]:
        """The wire body of this page; prev_page only for bidirectional cursors."""
        out: dict[str, object] = {"data": [render(item) for item in self.items], "next_page": self.next_page}
        if bidirectional:
            out["prev_page"] = self.prev_page
        return out


def parse_limit(query: Mapping[str, str], default: int = 20) -> int:
    """The `limit` parameter, 1..1000."""
    raw = query.get("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise invalid(f"limit: expected an integer, got {raw!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"limit: must be between 1 and {MAX_LIMIT}")
    return limit


def parse_order(query: Mapping[str, str], default: str) -> str:
    """The `order` parameter, asc or desc."""
    order = query.get("order", default)
    if order not in ("asc", "desc"):
        raise invalid(f"order: expected 'asc' or 'desc', got {order!r}")
    return order


def _encode(direction: str, seq: int, order: str) -> str:
    return "page_" + base64.urlsafe_b64encode(f"{direction}:{seq}:{order}".encode()).decode().rstrip("=")


def _decode(cursor: str, order: str) -> tuple[str, int]:
    try:
        raw = cursor.removeprefix("page_")
        direction, seq, cursor_order = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split(":")
        if direction not in ("n", "p") or cursor_order != order:
            raise ValueError(cursor)
        return direction, int(seq)
    except ValueError:
        raise invalid(f"page: invalid page cursor {cursor!r}") from None


def paginate(items: Sequence[T], *, key: Callable[[T], int], order: str, limit: int, page: str | None) -> Page:
    """Cut one page from `items` (already filtered and sorted in `order` by the increasing `key`)."""
    before = (lambda k, s: k < s) if order == "asc" else (lambda k, s: k > s)
    start, stop = 0, len(items)
    if page:
        direction, seq = _decode(page, order)
        if direction == "n":
            start = next((i for i, item in enumerate(items) if before(seq, key(item))), len(items))
            stop = min(start + limit, len(items))
        else:
            stop = next((i for i, item in enumerate(items) if not before(key(item), seq)), len(items))
            start = max(stop - limit, 0)
    else:
        stop = min(limit, len(items))
    chosen = list(items[start:stop])
    next_page = _encode("n", key(chosen[-1]), order) if chosen and stop < len(items) else None
    prev_page = _encode("p", key(chosen[0]), order) if chosen and start > 0 else None
    return Page(chosen, next_page, prev_page)
