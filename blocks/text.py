"""Text helpers for mrkdwn: escaping, truncation, splitting and code blocks.

Only `escape` escapes. The other helpers take text that is already escaped (or trusted) and never cut
an entity such as `&amp;` in half, so `truncate(escape(raw), n)` stays safe.
"""

from __future__ import annotations

import re

__all__ = ["FENCE", "code_block", "escape", "mrkdwn_from_markdown", "one_line", "split_text", "truncate"]

FENCE = "```"
_NEUTRAL_FENCE = "`\u200b`\u200b`"  # looks like ``` but does not open or close a block
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_WORD = re.compile(r"\S+")
_MIN_SPLIT = 16


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so that text never pings anyone or forms a link in Slack."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _safe_cut(text: str, cut: int) -> int:
    """Move a cut point back so that it does not split an entity like `&amp;`."""
    match = _PARTIAL_ENTITY.search(text, max(0, cut - 5), cut)
    if match and text.find(";", match.start(), match.start() + 6) >= cut:
        return match.start()
    return cut


def truncate(text: str, limit: int, *, marker: str = "…") -> str:
    """Shorten text to at most `limit` characters, ending with `marker` when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit]
    cut = _safe_cut(text, limit - len(marker))
    return text[:cut].rstrip() + marker


def one_line(text: str, max_chars: int) -> str:
    """Collapse all whitespace to single spaces and truncate to `max_chars`."""
    words: list[str] = []
    size = -1
    for word in _WORD.finditer(text):  # only as many words as can show: the text may be megabytes
        words.append(word.group())
        size += len(words[-1]) + 1
        if size > max_chars + 8:  # past the cut, with room for `truncate` to see a whole entity
            break
    return truncate(" ".join(words), max_chars)


def _cut_point(text: str, budget: int) -> tuple[int, int]:
    """Where to split: (end of this chunk, start of the next), preferring paragraph, line, then word."""
    floor = budget // 3
    for sep in ("\n\n", "\n", " "):
        at = text.rfind(sep, floor, budget)
        if at > 0:
            return at, at + len(sep)
    cut = _safe_cut(text, budget)
    return cut, cut


def split_text(text: str, limit: int = 3000) -> list[str]:
    """Split text into chunks of at most `limit` characters, each with balanced ``` fences."""
    if limit < _MIN_SPLIT:
        raise ValueError(f"limit must be at least {_MIN_SPLIT}")
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        end, start = _cut_point(rest, limit - len(FENCE) - 1)
        chunk, rest = rest[:end].rstrip(), rest[start:]
        if chunk.count(FENCE) % 2:
            chunk += "\n" + FENCE
            rest = FENCE + "\n" + rest.lstrip("\n")
        if chunk.strip():
            chunks.append(chunk)
    if rest.strip():
        chunks.append(rest)
    return chunks


def code_block(text: str, *, max_chars: int) -> str:
    """Wrap text in a mrkdwn ``` block of at most `max_chars` characters; inner ``` is neutralised."""
    body = text.replace(FENCE, _NEUTRAL_FENCE).strip("\n") or " "
    overhead = 2 * len(FENCE) + 2
    if max_chars <= overhead:
        raise ValueError(f"max_chars must be more than {overhead}")
    return f"{FENCE}\n{truncate(body, max_chars - overhead)}\n{FENCE}"


# One linear pass: a fenced block is taken whole (and kept), so markup is converted only outside fences. No
# part can overlap itself or run past a line or a fence: bold content never holds `**` (a failed bold stops at
# the next `**`), and a heading line is trimmed in Python rather than by competing `\s*` and `#*` groups. Each
# branch starts with a literal character, so the engine skips ahead to the next `, * or # at C speed.
_NOT_FENCE = r"(?:[^`\n]|`(?!``))"
_MARKDOWN = re.compile(
    r"```(?:[^`]|`(?!``))*+(?:```|\Z)"
    r"|\*\*(?=\S)((?:[^*`\n]|\*(?!\*)|`(?!``))+?)(?<=\S)\*\*"
    rf"|#(?:(?<![^\n]#)|(?<=```#))#{{0,5}}[ \t]{_NOT_FENCE}*+"
)


def _markup(match: re.Match[str]) -> str:
    found = match.group(0)
    if found[0] == "`":
        return found
    if found[0] == "*":
        return f"*{match.group(1)}*"
    line = found.lstrip("#")
    if "**" in line:
        line = _MARKDOWN.sub(_markup, line)
    title = line.strip().rstrip("#").rstrip()
    return f"*{title}*" if title else found


def mrkdwn_from_markdown(text: str) -> str:
    """Turn the Markdown agents write (`**bold**`, `# Heading`) into Slack mrkdwn, outside code fences."""
    return _MARKDOWN.sub(_markup, text)
