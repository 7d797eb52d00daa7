"""Wire-shaped session events for reducer and renderer tests."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

_ids = itertools.count(1)
_t0 = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def _base(kind: str, **fields) -> dict:
    n = next(_ids)
    return {"id": f"sevt_{n:04d}", "type": kind, "processed_at": (_t0 + timedelta(seconds=n)).isoformat(), **fields}


def running() -> dict:
    return _base("session.status_running")


def idle(stop: str = "end_turn", event_ids: list[str] | None = None) -> dict:
    reason = {"type": stop} if stop != "requires_action" else {"type": stop, "event_ids": event_ids or []}
    return _base("session.status_idle", stop_reason=reason)


def message(text: str) -> dict:
    return _base("agent.message", content=[{"type": "text", "text": text}])


def tool_use(name: str, **inp) -> dict:
    return _base("agent.tool_use", name=name, input=inp, evaluated_permission="allow")


def ask_tool_use(name: str, **inp) -> dict:
    return _base("agent.tool_use", name=name, input=inp, evaluated_permission="ask")


def tool_result(use: dict, text: str, *, is_error: bool = False) -> dict:
    return _base("agent.tool_result", tool_use_id=use["id"], content=[{"type": "text", "text": text}], is_error=is_error)


def custom(name: str, **inp) -> dict:
    return _base("agent.custom_tool_use", name=name, input=inp)


def custom_result(use: dict, value: object, *, is_error: bool = False) -> dict:
    text = value if isinstance(value, str) else json.dumps(value)
    return _base(
        "user.custom_tool_result", custom_tool_use_id=use["id"], content=[{"type": "text", "text": text}], is_error=is_error
    )


def error(kind: str = "model_overloaded_error", retry: str = "retrying") -> dict:
    return _base("session.error", error={"type": kind, "message": "Overloaded", "retry_status": {"type": retry}})


def terminated() -> dict:
    return _base("session.status_terminated")
