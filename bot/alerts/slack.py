"""Reading a Slack message event, whoever posted it: its readable text, headline, links, fields and sender."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.model import MAX_ALERT_TEXT

__all__ = ["Link", "SlackMessage", "clean", "read_message"]

_LINK = re.compile(r"<(https?://[^|<>\s]{1,2000})(?:\|([^<>]{0,500}))?>")  # a label never holds `<`
_BARE_URL = re.compile(r"(?<![<|\w])https?://[^\s<>|\"'`]{1,2000}")
_EMOJI = re.compile(r"(^|\s):[a-z][a-z0-9_+-]{0,40}:(?=\s|$)")
_FIELD = re.compile(r"\s*+\*?([^*:\n<>\s][^*:\n<>]{0,59}?)[ \t]*+:\*?\s*+(.*)", re.DOTALL)
_MAX_LINKS, _MAX_FIELDS = 100, 100


@dataclass(frozen=True, slots=True)
class Link:
    """A URL found in a message, with the words it was shown as."""

    url: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """What the recognisers look at; every string is already clipped to a safe size."""

    full_text: str  # every readable part, joined: the alert's text (before truncation)
    body: str  # the same, clipped, for pattern searches
    headline: str  # cleaned: an attachment title, else the first section, else the first line
    headline_link: str
    links: tuple[Link, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)  # lower-cased name -> cleaned value
    sender: str = ""  # username or app name, lower-cased
    footer: str = ""
    from_integration: bool = False


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else ""


def clean(text: str) -> str:
    """Slack mrkdwn to plain words: links to their labels, entities decoded, bold stars dropped."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _EMOJI.sub(r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip().strip("*").strip()


def _block_texts(blocks: Any) -> list[str]:
    out: list[str] = []
    for block in _list(blocks):
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            out.append(_text(text["text"]))
        for item in _list(block.get("fields")):
            if isinstance(item, dict) and item.get("text"):
                out.append(_text(item["text"]))
        for element in _list(block.get("elements")):
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                out.append(element["text"])
    return out


def _attachment_texts(attachments: Any) -> list[str]:
    out: list[str] = []
    for att in _list(attachments):
        if not isinstance(att, dict):
            continue
        mine = [_text(att[key]) for key in ("pretext", "title", "text") if att.get(key)]
        for item in _list(att.get("fields")):
            if isinstance(item, dict):
                mine.append(f"{_text(item.get('title', ''))}: {_text(item.get('value', ''))}")
        if not mine and att.get("fallback"):
            mine.append(_text(att["fallback"]))
        out += mine + _block_texts(att.get("blocks"))
    return out


def readable_text(event: dict[str, Any]) -> str:
    """Every readable part of a message, once each, in order (a person's message: just its text)."""
    parts = [_text(event.get("text"))]
    parts += _attachment_texts(event.get("attachments"))
    parts += _block_texts(event.get("blocks"))
    seen: set[str] = set()
    lines = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.add(part)
            lines.append(part)
    return "\n".join(lines)


def _links(event: dict[str, Any], body: str) -> tuple[Link, ...]:
    found: dict[str, Link] = {}

    def add(url: Any, label: Any = "") -> None:
        url = _text(url).replace("&amp;", "&").strip()
        if url.startswith(("http://", "https://")) and url not in found and len(found) < _MAX_LINKS:
            found[url] = Link(url[:2000], clean(_text(label)[:2000])[:500])

    attachments = [a for a in _list(event.get("attachments")) if isinstance(a, dict)]
    for att in attachments:
        add(att.get("title_link"), att.get("title"))
    for m in _LINK.finditer(body):  # links in the words come before buttons: their labels say more
        add(m.group(1), m.group(2) or "")
    for att in attachments:
        for action in _list(att.get("actions")):
            if isinstance(action, dict):
                add(action.get("url"), action.get("text"))
    for block in [b for a in attachments for b in _list(a.get("blocks"))] + _list(event.get("blocks")):
        for element in _list(block.get("elements")) if isinstance(block, dict) else []:
            if isinstance(element, dict) and element.get("url"):
                text = element.get("text")
                add(element["url"], text.get("text") if isinstance(text, dict) else text)
    for m in _BARE_URL.finditer(body):
        add(m.group(0).rstrip(".,;)"))
    return tuple(found.values())


def _fields(event: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for att in _list(event.get("attachments")):
        if not isinstance(att, dict):
            continue
        for item in _list(att.get("fields")):
            if isinstance(item, dict) and item.get("title"):
                out.setdefault(clean(_text(item["title"])[:200]).lower()[:60], clean(_text(item.get("value"))[:2000]))
        for block in _list(att.get("blocks")):
            if isinstance(block, dict):
                for item in _list(block.get("fields")):
                    m = _FIELD.fullmatch(_text(item.get("text"))[:2000]) if isinstance(item, dict) else None
                    if m:
                        out.setdefault(clean(m.group(1)).lower(), clean(m.group(2)))
    return dict(list(out.items())[:_MAX_FIELDS])


def _headline(event: dict[str, Any], body: str) -> tuple[str, str]:
    for att in _list(event.get("attachments")):
        title = clean(_text(att.get("title"))[:2000]) if isinstance(att, dict) else ""
        if title:
            return title, _text(att.get("title_link")).replace("&amp;", "&")
    blocks = [b for a in _list(event.get("attachments")) if isinstance(a, dict) for b in _list(a.get("blocks"))]
    for part in _block_texts(blocks + _list(event.get("blocks"))) + [body]:
        line = next((ln for ln in part[:2000].splitlines() if clean(ln)), "")
        if line:
            m = _LINK.search(line)
            return clean(line), m.group(1).replace("&amp;", "&") if m else ""
    return "", ""


def read_message(event: Any) -> SlackMessage:
    """A view of a Slack message event for the recognisers; never raises on odd shapes."""
    event = event if isinstance(event, dict) else {}
    full = readable_text(event)
    body = full[: MAX_ALERT_TEXT * 2]
    headline, headline_link = _headline(event, body)
    profile = event.get("bot_profile") if isinstance(event.get("bot_profile"), dict) else {}
    footer = " ".join(_text(a.get("footer")) for a in _list(event.get("attachments")) if isinstance(a, dict))
    return SlackMessage(
        full_text=full,
        body=body,
        headline=headline,
        headline_link=headline_link,
        links=_links(event, body),
        fields=_fields(event),
        sender=(_text(event.get("username")) or _text(profile.get("name"))).lower()[:200],
        footer=footer[:500],
        from_integration=bool(event.get("bot_id") or event.get("subtype") == "bot_message" or profile),
    )
