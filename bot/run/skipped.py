"""Events the bot cannot read are skipped with a note in the thread, so one bad event never stops an incident."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from bot.run.events import Unreadable
from bot.run.state import IncidentState, ThreadItem, ToolCall
from bot.run.values import parse_time
from bot.words import ItemKind

__all__ = ["MAX_INPUT_DEPTH", "readable_input", "skip", "unreadable"]

# Tool input nests at most this deep (the input object is level 1): as deep as the SDK's own serialiser goes (it
# gives up past about 255 levels), so the bot never holds a value that a library it hands it to cannot write.
MAX_INPUT_DEPTH = 255


def readable_input(value: object) -> Mapping[str, object]:
    """A tool call's input as the bot keeps it; ValueError when it nests too deep to read (the event is skipped)."""
    if not isinstance(value, dict):
        return {}
    level: list[object] = [value]
    for depth in range(1, MAX_INPUT_DEPTH + 1):
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v) if isinstance(c, dict | list)]
        if not level:
            return dict(value)
        if depth == MAX_INPUT_DEPTH:
            break
    raise ValueError(f"tool input nested deeper than {MAX_INPUT_DEPTH} levels")


def unreadable(event: Any) -> Unreadable:
    """The local event that takes the place of an event the bot failed to read."""
    name, at = getattr(event, "name", ""), getattr(event, "processed_at", None)
    return Unreadable(
        id=str(getattr(event, "id", "") or ""),
        event_type=str(getattr(event, "type", "") or "unknown"),
        name=name if isinstance(name, str) else "",
        processed_at=parse_time(at),
    )


def skip(state: IncidentState, ev: Unreadable) -> IncidentState:
    """Say in the thread which event was skipped; a skipped custom tool call is kept, marked unreadable, so the
    bot answers it with an error and the agent is not left waiting."""
    event_id, kind, name = ev.id, ev.event_type, ev.name
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
    return replace(state, items=state.items + (ThreadItem(key=key, kind=ItemKind.NOTICE, text=text),))
