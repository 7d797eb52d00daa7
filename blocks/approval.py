"""The request_approval card: summary, PR and diff preview (or, for an action, that no diff is attached), and
Approve/Reject while pending."""

from __future__ import annotations

from typing import NamedTuple

from blocks import _kit as kit
from blocks.ids import ActionId, ButtonValue
from blocks.message import Message
from blocks.text import FENCE, code_block, escape, mrkdwn_from_markdown, one_line, truncate
from blocks.views import ApprovalState, ApprovalView

__all__ = [
    "DIFF_LINE_CHARS", "DIFF_PREVIEW_CHARS", "DIFF_PREVIEW_LINES", "DiffPreview", "approval_card", "diff_preview",
]

DIFF_PREVIEW_LINES = 40
DIFF_PREVIEW_CHARS = 2500
DIFF_LINE_CHARS = 300  # a longer line is shown cut, so that one line cannot push the others off the card
APPROVAL_BLOCK_ID = "incident_approval_actions"
_HEADERS = {
    ApprovalState.PENDING: ":raised_hand: Approval needed",
    ApprovalState.APPROVED: ":white_check_mark: Approved",
    ApprovalState.REJECTED: ":x: Rejected",
    ApprovalState.EXPIRED: ":hourglass: Expired — no decision in time",
    ApprovalState.CANCELLED: ":no_entry_sign: Cancelled",
}
_NOTES_CHARS = 2000
_SUMMARY_CHARS = 2000  # with the call-outs, the diff and the decision, within Slack's total for a message's blocks
_SUMMARY_CUT = "… (summary cut short)"
_NO_DIFF = (":information_source: *No diff is attached.* This approval covers the action described above and "
            "nothing else: it approves no pull request, so it lets the agent merge nothing.")
_NOTE_CHARS = 300


class DiffPreview(NamedTuple):
    """The escaped lines of a diff that the card shows, and what it leaves out."""

    text: str
    omitted: int  # lines not shown at all
    cut: int  # lines shown only in part

    @property
    def complete(self) -> bool:
        """Every character of the diff is on the card."""
        return not self.omitted and not self.cut


def _shown_len(escaped: str) -> int:
    return len(escaped) + 2 * escaped.count(FENCE)  # code_block widens each ``` by two characters to keep it shut


def _cut(escaped: str, room: int) -> str:
    """The start of an escaped line that takes at most `room` characters in the code block."""
    limit, part = room, truncate(escaped, room)
    while _shown_len(part) > room and limit > 1:
        limit = max(1, limit - (_shown_len(part) - room))
        part = truncate(escaped, limit)
    return part


def diff_preview(diff: str) -> DiffPreview:
    """The escaped first lines of a diff that fit the card (long lines cut), and what it leaves out or cuts."""
    lines = diff.rstrip("\n").split("\n") if diff.strip() else []
    kept: list[str] = []
    size = cut = 0
    for line in lines[:DIFF_PREVIEW_LINES]:
        escaped = escape(line)
        shown = _cut(escaped, DIFF_LINE_CHARS) if _shown_len(escaped) > DIFF_LINE_CHARS else escaped
        if size + _shown_len(shown) + 1 > DIFF_PREVIEW_CHARS:
            break
        kept.append(shown)
        size += _shown_len(shown) + 1
        cut += shown != escaped
    return DiffPreview("\n".join(kept), len(lines) - len(kept), cut)


def _left_out(preview: DiffPreview) -> str:
    parts = []
    if preview.omitted:
        parts.append(f"{preview.omitted} more line{'s' if preview.omitted != 1 else ''} not shown")
    if preview.cut:
        parts.append(f"{preview.cut} line{'s' if preview.cut != 1 else ''} cut short")
    return " and ".join(parts)


def _diff_blocks(view: ApprovalView, *, pending: bool) -> tuple[list[dict], bool]:
    """The preview and, in words, what it leaves out and where that is; and whether every line can be read."""
    preview = diff_preview(view.diff)
    blocks = [kit.section(code_block(preview.text, max_chars=DIFF_PREVIEW_CHARS + 2 * len(FENCE) + 2))]
    if preview.complete:
        return blocks, True
    if view.diff_file:
        words = (
            f":page_facing_up: *Only part of the diff is shown above* ({_left_out(preview)}). The whole diff is the "
            f"file *{escape(view.diff_file)}* in this thread, above this card."
        )
        return blocks + [kit.section(words + (" Read it before you decide." if pending else ""))], True
    words = f":warning: *Only part of the diff is shown above* ({_left_out(preview)}) and the rest is not attached"
    return blocks + [kit.section(words + (", so this card cannot be approved here." if pending else "."))], False


def _notes(notes: tuple[str, ...]) -> dict:
    """The call-outs as one section of bullets, as many as fit, then how many more there are."""
    lines = [":warning: *Look closely before deciding:*"]
    size = len(lines[0])
    for i, note in enumerate(notes):
        line = "• " + truncate(escape(note), _NOTE_CHARS)
        if size + len(line) + 1 > _NOTES_CHARS:
            lines.append(f"… and {len(notes) - i} more call-outs: read the whole diff")
            break
        lines.append(line)
        size += len(line) + 1
    return kit.section("\n".join(lines))


def _pr_line(view: ApprovalView) -> str:
    number = f"#{view.pr_number}" if view.pr_number is not None else "Pull request"
    title = one_line(escape(view.pr_title), 200)
    label = f"{number} {title}".strip() if title else number
    return f"*PR:* {kit.link(view.pr_url, label)}"


def _decision_line(view: ApprovalView) -> str:
    word = _HEADERS[view.state].split(" ", 1)[1]
    return kit.decision_line(word, view.decision, view.note, reason_label="Reason")


def _buttons(view: ApprovalView) -> dict:
    value = ButtonValue(
        session_id=view.session_id,
        tool_use_id=view.tool_use_id,
        pr_number=view.pr_number,
        diff_sha256=view.diff_sha256,
    )
    if view.pr_number is None:
        allowed = "The agent may carry out the action described on the card, and nothing else."
    else:
        whole = "the diff shown" if diff_preview(view.diff).complete else f"the whole diff in {view.diff_file}"
        allowed = f"The agent may merge PR #{view.pr_number} with {whole}."
    confirm = kit.confirm_dialog("Approve?", allowed, ok="Approve", cancel="Not yet")
    return kit.actions(
        APPROVAL_BLOCK_ID,
        kit.button(":white_check_mark: Approve", ActionId.APPROVE, value, style="primary", confirm=confirm),
        kit.button(":x: Reject", ActionId.REJECT, value, style="danger"),
    )


def approval_card(view: ApprovalView) -> Message:
    """The approval card: everything an approver needs, and Approve/Reject buttons only while pending and only
    when every line of the diff, as the PR store holds it, can be read on the card or in the thread's file."""
    pending = view.state is ApprovalState.PENDING
    heading = _HEADERS.get(view.state, escape(str(view.state)))
    blocks = [kit.header(heading)]
    if view.diff_notes:  # first: the agent's summary must not push them out of sight
        blocks.append(_notes(view.diff_notes))
    summary = mrkdwn_from_markdown(escape(view.summary)) or "_No summary given._"
    if len(summary) > _SUMMARY_CHARS:
        summary = truncate(summary, _SUMMARY_CHARS - len(_SUMMARY_CUT) - 1) + "\n" + _SUMMARY_CUT
    blocks.append(kit.section(summary))
    if view.pr_number is not None or view.pr_title or view.pr_url:
        blocks.append(kit.section(_pr_line(view)))
    elif not view.diff.strip():
        blocks.append(kit.section(_NO_DIFF))
    readable = True  # every line is on the card or in the file it names
    if view.diff.strip():
        shown, readable = _diff_blocks(view, pending=pending)
        blocks.extend(shown)
    if view.diff_sha256:
        short = escape(view.diff_sha256[:8])
        if pending:
            note = f"approves diff {short} — if the diff changes, a new approval is needed"
        else:
            note = f"decision on diff {short}"
        blocks.append(kit.context(f":lock: {note}"))
    if pending and readable and view.diff_ready:
        blocks.append(kit.divider())
        blocks.append(_buttons(view))
    elif pending and not view.diff_ready:
        blocks.append(kit.section(
            ":hourglass_flowing_sand: The bot has not read this pull request's diff back from the PR store, "
            "so it cannot be approved here."
        ))
    elif not pending:
        blocks.append(kit.section(_decision_line(view)))
    pr = f" PR #{view.pr_number}" if view.pr_number is not None else ""
    word = "Approval needed" if pending else heading.split(" ", 1)[1]
    fallback = f"{word}:{pr} {one_line(escape(view.summary), 300)}".rstrip()
    return Message(text=fallback, blocks=blocks)
