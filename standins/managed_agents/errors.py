"""API errors in the wire shape the SDK maps to its APIStatusError subclasses."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

__all__ = ["ApiError", "invalid", "not_found", "error_type_for", "error_response"]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    """An error answer: status, error type and message, plus optional headers."""

    def __init__(
        self, status: int, message: str, *, type_: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_ or error_type_for(status)
        self.headers = dict(headers or {})


def error_type_for(status: int) -> str:
    """The API's error type for an HTTP status."""
    return _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def invalid(message: str) -> ApiError:
    """A 400 invalid_request_error."""
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    """A 404 not_found_error."""
    return ApiError(404, message)


def error_response(err: ApiError, request_id: str) -> web.Response:
    """The JSON answer for an ApiError."""
    body = {"type": "error", "error": {"type": err.type, "message": err.message}, "request_id": request_id}
    return web.json_response(body, status=err.status, headers={"request-id": request_id, **err.headers})
