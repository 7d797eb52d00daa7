"""Small constructors for Block Kit dicts and shared mrkdwn snippets; callers pass text already escaped."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from blocks.ids import ActionId, ButtonValue, encode_button_value
from blocks.views import Decision
from blocks.limits import BLOCKS_TEXT, BUTTON_TEXT, CONTEXT_ELEMENTS, HEADER_TEXT, SECTION_TEXT, blocks_text
from blocks.text import escape, split_text, truncate

Block = dict[str, Any]

_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


def section(text: str) -> Block:
    """A mrkdwn section, truncated to Slack's 3,000 characters."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT) or " "}}


def sections(text: str, *, max_blocks: int, note: str = "… (cut short)") -> list[Block]:
    """Mrkdwn sections for long text, at most `max_blocks`; the last says so when text was cut."""
    chunks = split_text(text, SECTION_TEXT) or [" "]
    if len(chunks) > max_blocks:
        chunks = chunks[:max_blocks]
        chunks[-1] = truncate(chunks[-1], SECTION_TEXT - len(note) - 2) + "\n" + note
    return [section(chunk) for chunk in chunks]


def within_total(blocks: list[Block], *, note: str = "… (cut short)") -> list[Block]:
    """The blocks with their longest section texts cut (each saying so) until all their text is within Slack's
    total for one message."""
    excess = blocks_text(blocks) - BLOCKS_TEXT
    longest = sorted((b for b in blocks if b.get("type") == "section" and isinstance(b.get("text"), dict)),
                     key=lambda b: len(b["text"]["text"]), reverse=True)  # fmt: skip
    for block in longest:
        if excess <= 0:
            break
        text = block["text"]["text"]
        keep = max(len(text) - excess - len(note) - 1, 0)
        block["text"]["text"] = (truncate(text, keep) + "\n" + note) if keep else note
        excess -= len(text) - len(block["text"]["text"])
    return blocks


def fields(*pairs: tuple[str, str]) -> Block:
    """A section of two-column fields: (label, value) pairs, values already mrkdwn."""
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(f"*{label}*\n{value}", 2000)} for label, value in pairs],
    }


def header(text: str) -> Block:
    """A header block (plain text with emoji), truncated to 150 characters."""
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, HEADER_TEXT) or " ", "emoji": True}}


def context(*texts: str) -> Block:
    """A context line of up to ten mrkdwn elements."""
    elements = [{"type": "mrkdwn", "text": truncate(t, SECTION_TEXT)} for t in texts if t][:CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": " "}]}


def divider() -> Block:
    """A divider line."""
    return {"type": "divider"}


def button(text: str, action_id: ActionId, value: ButtonValue, *, style: str, confirm: Block | None = None) -> Block:
    """A button carrying an encoded ButtonValue."""
    out: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT), "emoji": True},
        "action_id": str(action_id),
        "value": encode_button_value(value),
        "style": style,
    }
    if confirm is not None:
        out["confirm"] = confirm
    return out


def confirm_dialog(title: str, text: str, *, ok: str, cancel: str) -> Block:
    """A confirmation dialog for a button (title 100, text 300, buttons 30 characters)."""
    return {
        "title": {"type": "plain_text", "text": truncate(title, 100)},
        "text": {"type": "plain_text", "text": truncate(text, 300)},
        "confirm": {"type": "plain_text", "text": truncate(ok, 30)},
        "deny": {"type": "plain_text", "text": truncate(cancel, 30)},
    }


def actions(block_id: str, *elements: Block) -> Block:
    """An actions block."""
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def link(url: str | None, label: str) -> str:
    """`<url|label>` for a plain http(s) URL, else the escaped label (and URL) as text."""
    if url and _SAFE_URL.match(url):
        return f"<{escape(url)}|{label}>"
    return f"{label} ({escape(url)})" if url else label


def as_utc(at: datetime) -> datetime:
    """The moment as an aware UTC datetime (naive values are taken as UTC)."""
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def when(at: datetime) -> str:
    """A Slack date token that shows in the reader's time zone, with a UTC fallback."""
    utc = as_utc(at)
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} at {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def who(user_id: str | None) -> str:
    """A mention for a Slack user id, or 'the bot' when nobody clicked."""
    if user_id and re.fullmatch(r"[UW][A-Z0-9]+", user_id):
        return f"<@{user_id}>"
    return escape(user_id) if user_id else "the bot"


def decision_line(word: str, decision: Decision | None, note: str, *, reason_label: str) -> str:
    """A decided card's last section: the outcome in bold, who and when, the reason under its label, any note."""
    line = f"*{word}*"
    if decision is not None:
        line += f" by {who(decision.by)} {when(decision.at)}"
        if decision.reason:
            line += f"\n*{reason_label}:* {truncate(escape(decision.reason), 2000)}"
    if note:
        line += f"\n{truncate(escape(note), 500)}"
    return line
