"""Messages in an incident's thread: agent text, tool-call progress, errors and bot notices."""

from __future__ import annotations

from blocks import _kit as kit
from blocks.limits import BLOCKS_TEXT, MAX_BLOCKS, SECTION_TEXT
from blocks.message import Message
from blocks.text import escape, mrkdwn_from_markdown, one_line, split_text, truncate
from blocks.views import ErrorView, ProgressView, StepState, StepView

__all__ = ["MAX_SHOWN_STEPS", "agent_messages", "error_message", "notice", "progress_message", "reminder"]

MAX_SHOWN_STEPS = 40  # a progress message shows the most recent steps; older ones are counted
_MESSAGE_TEXT = BLOCKS_TEXT - SECTION_TEXT  # text per message, with room left for what Slack counts besides
_FALLBACK = 1000
_STEP_ICONS = {
    StepState.RUNNING: ":hourglass_flowing_sand:",
    StepState.OK: ":white_check_mark:",
    StepState.ERROR: ":x:",
    StepState.WAITING: ":raised_hand:",
}
_RETRY = {
    "retrying": (":arrows_counterclockwise:", "The platform is retrying; the session will resume by itself."),
    "exhausted": (":stop_sign:", "Retries exhausted: the platform gave up on this turn and the session is idle."),
    "terminal": (":no_entry:", "Terminal error: the session has ended and will not continue."),
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def agent_messages(text: str) -> list[Message]:
    """An agent.message as one or more messages of escaped mrkdwn sections, each within Slack's limits."""
    chunks = split_text(mrkdwn_from_markdown(escape(text)), SECTION_TEXT)
    parts: list[list[str]] = []
    for chunk in chunks:
        if parts and len(parts[-1]) < MAX_BLOCKS and sum(map(len, parts[-1])) + len(chunk) <= _MESSAGE_TEXT:
            parts[-1].append(chunk)
        else:
            parts.append([chunk])
    return [Message(text=one_line(part[0], _FALLBACK), blocks=[kit.section(c) for c in part]) for part in parts]


def _step_line(step: StepView) -> str:
    icon = _STEP_ICONS.get(step.state, ":grey_question:")
    tool = one_line(escape(step.tool), 64).replace("`", "'") or "tool"
    line = f"{icon} `{tool}`"
    if step.custom:
        line += " _custom_"
    summary = one_line(escape(step.summary), 240)
    if summary:
        line += f" {summary}"
    preview = one_line(escape(step.result_preview), 140)
    if preview:
        line += f" → {preview}"
    return line


def _pack(lines: list[str]) -> list[str]:
    """Join lines into section texts of at most 3,000 characters."""
    texts: list[str] = []
    for line in lines:
        if texts and len(texts[-1]) + 1 + len(line) <= SECTION_TEXT:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return texts


def progress_message(view: ProgressView) -> Message:
    """One message for a run of tool calls: the latest steps with state icons, and how many came before."""
    steps = view.steps
    lines = [_step_line(s) for s in steps[-MAX_SHOWN_STEPS:]]
    while sum(len(line) + 1 for line in lines) > _MESSAGE_TEXT:
        lines.pop(0)
    hidden = len(steps) - len(lines)
    blocks = []
    if hidden:
        blocks.append(kit.context(f"… {_plural(hidden, 'earlier step')} not shown"))
    blocks.extend(kit.section(t) for t in _pack(lines))
    failed = sum(1 for s in steps if s.state is StepState.ERROR)
    count = _plural(len(steps), "step") + (f", {failed} failed" if failed else "")
    if view.done:
        footer = f":white_check_mark: Done · {count}"
    else:
        footer = f":hourglass_flowing_sand: Working… · {count} so far"
    blocks.append(kit.context(footer))
    last = f" (last: {one_line(escape(steps[-1].tool), 64)})" if steps else ""
    fallback = f"{'Done' if view.done else 'Working'}: {count}{last}"
    return Message(text=fallback, blocks=blocks)


def error_message(view: ErrorView) -> Message:
    """A session.error, saying whether the platform is retrying, has given up on the turn, or has ended."""
    emoji, meaning = _RETRY.get(view.retry_status or "", (":warning:", "The platform sent no retry status."))
    kind = one_line(escape(view.error_type), 100).replace("`", "'") or "error"
    body = truncate(escape(view.message), 2500) or "(no message)"
    blocks = [kit.section(f"{emoji} *Session error* `{kind}`\n{body}"), kit.context(meaning)]
    status = view.retry_status or "no retry status"
    return Message(text=f"Session error: {kind} ({escape(status)})", blocks=blocks)


def notice(text: str) -> Message:
    """A short note written by the bot itself (still escaped)."""
    escaped = escape(text).strip() or " "
    return Message(text=truncate(escaped, _FALLBACK), blocks=[kit.section(escaped)])


def reminder(text: str, *, users: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> Message:
    """A bot reminder that pings the approvers (only ids that look like Slack's become mentions)."""
    mentions = [kit.who(u) for u in users if u[:1] in ("U", "W") and u.isalnum()]
    mentions += [f"<!subteam^{g}>" for g in groups if g.startswith("S") and g.isalnum()]
    body = escape(text).strip() or " "
    if mentions:
        body = f"{' '.join(mentions)} {body}"
    return Message(text=truncate(escape(text), _FALLBACK), blocks=[kit.section(truncate(body, SECTION_TEXT))])
