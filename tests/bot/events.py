"""Session events for reducer and renderer tests, as the SDK hands them to the bot: its typed models, built from
wire-shaped JSON and checked against the SDK's own schema (so a test cannot fold a shape the API never sends)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pydantic
from anthropic._models import construct_type  # what the client does with every body it reads, unknown types too
from anthropic.types.beta.sessions import BetaManagedAgentsSessionEvent

_ids = itertools.count(1)
_t0 = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
_EVENTS = pydantic.TypeAdapter(BetaManagedAgentsSessionEvent)


def _wire(kind: str, **fields) -> dict[str, Any]:
    n = next(_ids)
    return {"id": f"sevt_{n:04d}", "type": kind, "processed_at": (_t0 + timedelta(seconds=n)).isoformat(), **fields}


def _base(kind: str, **fields) -> Any:
    return _EVENTS.validate_python(_wire(kind, **fields))


def running() -> Any:
    return _base("session.status_running")


def idle(stop: str = "end_turn", event_ids: list[str] | None = None) -> Any:
    reason = {"type": stop} if stop != "requires_action" else {"type": stop, "event_ids": event_ids or []}
    return _base("session.status_idle", stop_reason=reason)


def message(text: str) -> Any:
    return _base("agent.message", content=[{"type": "text", "text": text}])


def tool_use(name: str, **inp) -> Any:
    return _base("agent.tool_use", name=name, input=inp, evaluated_permission="allow")


def ask_tool_use(name: str, **inp) -> Any:
    return _base("agent.tool_use", name=name, input=inp, evaluated_permission="ask")


def tool_result(use: Any, text: str, *, is_error: bool = False) -> Any:
    return _base("agent.tool_result", tool_use_id=use.id, content=[{"type": "text", "text": text}], is_error=is_error)


def custom(name: str, **inp) -> Any:
    return _base("agent.custom_tool_use", name=name, input=inp)


def custom_result(use: Any, value: object, *, is_error: bool = False) -> Any:
    text = value if isinstance(value, str) else json.dumps(value)
    return _base(
        "user.custom_tool_result", custom_tool_use_id=use.id, content=[{"type": "text", "text": text}], is_error=is_error
    )


def confirmation(use: Any, result: str, *, deny_message: str | None = None) -> Any:
    fields = {"deny_message": deny_message} if deny_message is not None else {}
    return _base("user.tool_confirmation", tool_use_id=use.id, result=result, **fields)


def error(kind: str = "model_overloaded_error", retry: str = "retrying") -> Any:
    return _base("session.error", error={"type": kind, "message": "Overloaded", "retry_status": {"type": retry}})


def terminated() -> Any:
    return _base("session.status_terminated")


def unknown(kind: str, **fields) -> Any:
    """An event of a type this SDK does not know: the client still builds a model for it, under that type."""
    return construct_type(type_=BetaManagedAgentsSessionEvent, value=_wire(kind, **fields))
