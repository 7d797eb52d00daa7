"""GitHub's list pagination: `per_page` (default 30, at most 100) and `page`, with a Link header to the next pages.

From GitHub's REST reference, "Using pagination in the REST API"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from aiohttp import web

__all__ = ["BadPage", "page_of"]

T = TypeVar("T")


class BadPage(ValueError):
    """per_page or page is not a positive whole number."""


def _positive(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise BadPage(f"Invalid value for {name}: {raw!r} (a positive whole number)")
    return int(raw)


def page_of(request: web.Request, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """The page of items the query asks for, and the Link header naming the next and last pages (if any)."""
    per_page = min(_positive(request, "per_page", 30), 100)
    number = _positive(request, "page", 1)
    chosen = list(items[(number - 1) * per_page : number * per_page])
    last = max(1, -(-len(items) // per_page))
    links = []
    if number < last:
        for rel, target in (("next", number + 1), ("last", last)):
            url = request.url.update_query(page=str(target), per_page=str(per_page))
            links.append(f'<{url}>; rel="{rel}"')
    return chosen, ({"Link": ", ".join(links)} if links else {})
