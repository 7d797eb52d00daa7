"""Request parsing and the API's input limits (metadata, title, field types)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from .clock import parse_time
from .errors import invalid

__all__ = [
    "json_body", "check_keys", "req_str", "opt_str", "metadata", "title",
    "query_list", "query_bool", "time_filters", "passes",
]

MAX_METADATA_PAIRS, MAX_KEY, MAX_VALUE, MAX_TITLE = 16, 64, 512, 80


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body (an empty body counts as `{}`)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    return body


def check_keys(body: Mapping[str, Any], allowed: Iterable[str], where: str = "body") -> None:
    """Refuse fields this endpoint does not take, as the API does."""
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise invalid(f"{where}: unexpected field(s) {', '.join(extra)}: Extra inputs are not permitted")


def req_str(body: Mapping[str, Any], key: str, where: str = "") -> str:
    """A required non-empty string field."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"{where}{key}: Field required (a non-empty string)")
    return value


def opt_str(body: Mapping[str, Any], key: str, where: str = "") -> str | None:
    """An optional string field (absent or null gives None)."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{where}{key}: expected a string")
    return value


def metadata(value: object, *, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Validate metadata (or a patch over `base`, where null deletes a key) against the API's limits."""
    if value is None:
        return dict(base or {})
    if not isinstance(value, dict):
        raise invalid("metadata: expected an object of string pairs")
    merged = dict(base or {})
    for key, item in value.items():
        if len(key) > MAX_KEY:
            raise invalid(f"metadata: key {key[:20]!r}... is longer than {MAX_KEY} characters")
        if item is None and base is not None:
            merged.pop(key, None)
            continue
        if not isinstance(item, str):
            raise invalid(f"metadata.{key}: value must be a string")
        if len(item) > MAX_VALUE:
            raise invalid(f"metadata.{key}: value is longer than {MAX_VALUE} characters")
        merged[key] = item
    if len(merged) > MAX_METADATA_PAIRS:
        raise invalid(f"metadata: at most {MAX_METADATA_PAIRS} pairs are allowed, got {len(merged)}")
    return merged


def title(value: object) -> str | None:
    """A session title: at most 80 printable characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("title: expected a string")
    if len(value) > MAX_TITLE:
        raise invalid(f"title: must be at most {MAX_TITLE} characters, got {len(value)}")
    if not value.isprintable():
        raise invalid("title: must contain only printable characters")
    return value


def query_list(query: MultiMapping[str], name: str) -> list[str]:
    """An array query parameter, sent by the SDK as `name[]=a&name[]=b`."""
    return [*query.getall(f"{name}[]", []), *query.getall(name, [])]


def query_bool(query: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter (`true`/`false`)."""
    raw = query.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise invalid(f"{name}: expected true or false")
    return raw == "true"


def time_filters(query: Mapping[str, str]) -> list[tuple[str, datetime]]:
    """The `created_at[gt|gte|lt|lte]` filters as (operator, instant) pairs."""
    out = []
    for op in ("gt", "gte", "lt", "lte"):
        raw = query.get(f"created_at[{op}]")
        if raw is None:
            continue
        try:
            out.append((op, parse_time(raw)))
        except ValueError:
            raise invalid(f"created_at[{op}]: not an RFC 3339 timestamp: {raw!r}") from None
    return out


def passes(moment: datetime, filters: list[tuple[str, datetime]]) -> bool:
    """Whether `moment` satisfies every time filter."""
    checks = {"gt": moment.__gt__, "gte": moment.__ge__, "lt": moment.__lt__, "lte": moment.__le__}
    return all(checks[op](bound) for op, bound in filters)
