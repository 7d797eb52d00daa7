"""Events the bot cannot read are skipped with a note in the thread, so one bad event never stops an incident."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Mapping

from bot.run.state import IncidentState, ThreadItem, ToolCall

__all__ = ["UNREADABLE", "skip", "unreadable", "unreadable_model"]

UNREADABLE = "bot.unreadable"  # local: stands in for the event that could not be read, under its id


def unreadable(event: Mapping[str, Any]) -> dict[str, Any]:
    """The local event that takes the place of a wire-shaped event the bot failed to read."""
    name = event.get("name")
    return {
        "type": UNREADABLE,
        "id": str(event.get("id") or ""),
        "event_type": str(event.get("type") or "unknown"),
        "name": name if isinstance(name, str) else "",
        "processed_at": event.get("processed_at") if isinstance(event.get("processed_at"), str) else None,
    }


def unreadable_model(ev: Any) -> dict[str, Any]:
    """The same for an SDK event model that could not be turned into a dict."""
    at = getattr(ev, "processed_at", None)
    return unreadable({
        "id": getattr(ev, "id", ""), "type": getattr(ev, "type", ""), "name": getattr(ev, "name", ""),
        "processed_at": at.isoformat() if isinstance(at, datetime) else at,
    })  # fmt: skip


def skip(state: IncidentState, ev: Mapping[str, Any]) -> IncidentState:
    """Say in the thread which event was skipped; a skipped custom tool call is kept, marked unreadable, so the
    bot answers it with an error and the agent is not left waiting."""
    event_id, kind, name = str(ev.get("id", "")), str(ev.get("event_type", "")), str(ev.get("name", ""))
    key = f"unreadable:{event_id}"
    if any(i.key == key for i in state.items):
        return state
    text = f"The bot could not read event {event_id} of type {kind} and skipped it."
    if kind == "agent.custom_tool_use" and event_id and event_id not in state.tools:
        call = ToolCall(id=event_id, name=name, input={}, custom=True, unreadable=True)
        state = replace(state, tools={**state.tools, event_id: call})
        text += f" The agent is told its {name or 'tool'} call failed, so it can try again. Nothing for you to do."
    else:
        text += " If the incident stops moving, press Stop and open a new one with /incident."
    return replace(state, items=state.items + (ThreadItem(key=key, kind="notice", text=text),))
