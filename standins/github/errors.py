"""GitHub-shaped JSON answers and errors."""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["DOCS", "gh_error", "gh_json", "read_json"]

DOCS = "https://docs.github.com/rest"


def gh_json(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with GitHub's content type."""
    return web.json_response(data, status=status, content_type="application/json")


def gh_error(status: int, message: str, *, errors: list[dict[str, Any]] | None = None,
             headers: dict[str, str] | None = None) -> web.Response:
    """GitHub's error shape: {"message", "documentation_url", "status"} plus `errors` for 422."""
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status, headers=headers)


async def read_json(request: web.Request) -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        data = await request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
