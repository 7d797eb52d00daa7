"""Shared pieces of the Web API: Slack's error type, argument coercion and the method registry."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["Args", "Method", "METHODS", "SlackError", "method"]


class SlackError(Exception):
    """A refusal the way Slack words it: HTTP 200 with {"ok": false, "error": ..., ...extra}."""

    def __init__(self, error: str, *, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = dict(extra)
        if messages:
            self.extra.setdefault("errors", list(messages))
            self.extra["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}

    def body(self) -> dict[str, Any]:
        """The response body Slack sends for this error."""
        return {"ok": False, "error": self.error, **self.extra}


class Args(dict[str, Any]):
    """Merged query, form and JSON arguments, with Slack's lenient coercions."""

    def text(self, name: str, *, required: bool = False, error: str = "invalid_arguments") -> str | None:
        """A string argument; None when absent (or `error` when required)."""
        value = self.get(name)
        if value is None or value == "":
            if required:
                raise SlackError(error, messages=[f"missing required field: {name}"])
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean sent as true/false, 1/0 or "true"/"false"."""
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes")

    def number(self, name: str, default: int) -> int:
        """An integer argument; `invalid_arguments` when it is not one."""
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", messages=[f"{name} must be an integer"]) from None

    def parsed(self, name: str, *, error: str = "invalid_arguments") -> Any:
        """A structured argument, given as JSON (in a JSON body) or as a JSON string (form or query)."""
        value = self.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(error, messages=[f"{name} is not valid JSON"]) from None
        return value


Handler = Callable[["SlackStandin", Args], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Method:
    """One implemented Web API method and the kind of token it takes ("bot" or "app")."""

    name: str
    handler: Handler
    token: str = "bot"


METHODS: dict[str, Method] = {}


def method(name: str, *, token: str = "bot") -> Callable[[Handler], Handler]:
    """Register a coroutine as the implementation of a Web API method."""

    def register(fn: Handler) -> Handler:
        METHODS[name] = Method(name, fn, token)
        return fn

    return register
