"""What the benchmark looks for: markers an agent event carries, and when the Slack stand-in first shows each.

An event's marker is something only that event brings into Slack: the path of the chunk a `read` opens, the first
line of the chunk it returns, the `[mN]` number of an agent message, `[approval]` in the approval summary. The
first Slack write to the incident's thread that contains the marker is when a person could see the event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Marker", "SlackSightings", "event_markers", "markers_in"]

Marker = tuple[str, str]  # (kind, number): ("use", "007"), ("result", "007"), ("msg", "3"), ("approval", "")

WRITES = ("chat.postMessage", "chat.update")
_PATH = re.compile(r"checkout\.part-(\d{3})\.log")
_CHUNK = re.compile(r"chunk (\d{3}) of")
_MSG = re.compile(r"\[m(\d+)\]")
_APPROVAL = "[approval]"


def markers_in(text: str) -> set[Marker]:
    """Every marker a piece of Slack content shows."""
    found: set[Marker] = {("use", n) for n in _PATH.findall(text)}
    found |= {("result", n) for n in _CHUNK.findall(text)}
    found |= {("msg", n) for n in _MSG.findall(text)}
    if _APPROVAL in text:
        found.add(("approval", ""))
    return found


def event_markers(events: Iterable[Mapping[str, Any]]) -> list[tuple[Marker, str]]:
    """(marker, event id) for each event of a session that a person should see in Slack."""
    out: list[tuple[Marker, str]] = []
    for ev in events:
        kind = ev.get("type")
        if kind == "agent.tool_use":
            out += [(("use", n), ev["id"]) for n in sorted(set(_PATH.findall(json.dumps(ev.get("input")))))]
        elif kind == "agent.tool_result":
            out += [(("result", n), ev["id"]) for n in sorted(set(_CHUNK.findall(json.dumps(ev.get("content")))))[:1]]
        elif kind == "agent.message":
            text = "".join(b.get("text", "") for b in ev.get("content") or [] if isinstance(b, dict))
            out += [(("msg", n), ev["id"]) for n in _MSG.findall(text)[:1]]
        elif kind == "agent.custom_tool_use" and ev.get("name") == "request_approval":
            out.append((("approval", ""), ev["id"]))
    return out


def _content(args: Mapping[str, Any]) -> str:
    parts = []
    for key in ("text", "blocks", "attachments"):
        value = args.get(key)
        if value:
            parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


class SlackSightings:
    """Fed the Slack stand-in's calls as they arrive; remembers when each thread first showed each marker."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.first: dict[str, dict[Marker, float]] = {}  # thread ts -> marker -> call arrival time
        self.cards: list[tuple[str, str, float]] = []  # (thread ts, message ts, time) of messages with an Approve button
        self._root_of: dict[str, str] = {}  # reply ts -> thread ts
        self._seen = 0
        self._unanswered: list[Any] = []

    def feed(self, calls: list[Any], approve_action: str) -> None:
        """Read the calls answered since the last feed (the list only grows; a call is read once it is answered)."""
        waiting = self._unanswered + calls[self._seen:]
        self._seen = len(calls)
        self._unanswered = [c for c in waiting if not c.status]
        for call in sorted((c for c in waiting if c.status), key=lambda c: c.at):
            self._read(call, approve_action)

    def _read(self, call: Any, approve_action: str) -> None:
        args = call.args
        if call.method not in WRITES or args.get("channel") != self.channel:
            return
        response = call.response if isinstance(call.response, dict) else {}
        if call.method == "chat.postMessage":
            ts = str(response.get("ts") or "")
            thread = str(args.get("thread_ts") or ts)
            if ts:
                self._root_of[ts] = thread
        else:
            ts = str(args.get("ts") or "")
            thread = self._root_of.get(ts, ts)
        if not thread:
            return
        content = _content(args)
        seen = self.first.setdefault(thread, {})
        for marker in markers_in(content):
            seen[marker] = min(seen.get(marker, call.at), call.at)  # a slow answer can be read after a later call
        if ts and re.search(rf'"action_id":\s*"{re.escape(approve_action)}"', content):
            self.cards.append((thread, ts, call.at))
