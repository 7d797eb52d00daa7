"""Turning an alert message (a person's text, or an integration's attachments/blocks) into an incident title."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Alert", "parse_alert_message"]

MAX_ALERT_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class Alert:
    title: str
    text: str
    source: str  # "text" or the integration's name when recognised
    payload: dict[str, Any] | None = None
    original_size: int = 0

    @property
    def truncated(self) -> bool:
        return self.original_size > len(self.text)


def _block_texts(blocks: list[Any]) -> list[str]:
    out: list[str] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            out.append(str(text["text"]))
        for field in block.get("fields") or []:
            if isinstance(field, dict) and field.get("text"):
                out.append(str(field["text"]))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                out.append(element["text"])
    return out


def _attachment_texts(attachments: list[Any]) -> list[str]:
    out: list[str] = []
    for att in attachments or []:
        if not isinstance(att, dict):
            continue
        for key in ("pretext", "title", "text"):
            if att.get(key):
                out.append(str(att[key]))
        for field in att.get("fields") or []:
            if isinstance(field, dict):
                out.append(f"{field.get('title', '')}: {field.get('value', '')}")
        if not out and att.get("fallback"):
            out.append(str(att["fallback"]))
        out += _block_texts(att.get("blocks") or [])
    return out


def parse_alert_message(event: dict[str, Any]) -> Alert:
    """Read what an alert message says, whoever posted it; never fails, falls back to a placeholder."""
    parts = [str(event.get("text") or "")]
    parts += _attachment_texts(event.get("attachments") or [])
    parts += _block_texts(event.get("blocks") or [])
    seen: set[str] = set()
    lines = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.add(part)
            lines.append(part)
    full = "\n".join(lines)
    text = full[:MAX_ALERT_TEXT] or "(an alert with no readable text)"
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), "Alert")
    title = title if len(title) <= 150 else title[:149] + "…"
    return Alert(title=title, text=text, source="text", original_size=len(full))
