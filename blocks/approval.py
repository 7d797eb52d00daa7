"""The request_approval card: summary, PR, diff preview, and Approve/Reject while pending."""

from __future__ import annotations

from blocks import _kit as kit
from blocks.ids import ActionId, ButtonValue
from blocks.limits import MAX_BLOCKS
from blocks.message import Message
from blocks.text import code_block, escape, mrkdwn_from_markdown, one_line, truncate
from blocks.views import ApprovalState, ApprovalView

__all__ = ["DIFF_PREVIEW_CHARS", "DIFF_PREVIEW_LINES", "approval_card", "diff_preview"]

DIFF_PREVIEW_LINES = 40
DIFF_PREVIEW_CHARS = 2500
APPROVAL_BLOCK_ID = "incident_approval_actions"
_HEADERS = {
    ApprovalState.PENDING: ":raised_hand: Approval needed",
    ApprovalState.APPROVED: ":white_check_mark: Approved",
    ApprovalState.REJECTED: ":x: Rejected",
    ApprovalState.EXPIRED: ":hourglass: Expired — no decision in time",
    ApprovalState.CANCELLED: ":no_entry_sign: Cancelled",
}
_RESERVED_BLOCKS = 8  # header, PR, diff, diff note, decision or actions, context: the rest is for the summary


def diff_preview(diff: str) -> tuple[str, int]:
    """The escaped first lines of a diff that fit the preview, and how many lines were left out."""
    lines = diff.rstrip("\n").split("\n") if diff.strip() else []
    kept: list[str] = []
    size = 0
    for line in lines[:DIFF_PREVIEW_LINES]:
        escaped = escape(line)
        if size + len(escaped) + 1 > DIFF_PREVIEW_CHARS:
            if not kept:  # one huge first line: show its start rather than nothing
                kept.append(truncate(escaped, DIFF_PREVIEW_CHARS))
            break
        kept.append(escaped)
        size += len(escaped) + 1
    return "\n".join(kept), len(lines) - len(kept)


def _pr_line(view: ApprovalView) -> str:
    number = f"#{view.pr_number}" if view.pr_number is not None else "Pull request"
    title = one_line(escape(view.pr_title), 200)
    label = f"{number} {title}".strip() if title else number
    return f"*PR:* {kit.link(view.pr_url, label)}"


def _decision_line(view: ApprovalView) -> str:
    word = _HEADERS[view.state].split(" ", 1)[1]
    line = f"*{word}*"
    if view.decision is not None:
        line += f" by {kit.who(view.decision.by)} {kit.when(view.decision.at)}"
        if view.decision.reason:
            line += f"\n*Reason:* {truncate(escape(view.decision.reason), 2000)}"
    if view.note:
        line += f"\n{truncate(escape(view.note), 500)}"
    return line


def _buttons(view: ApprovalView) -> dict:
    value = ButtonValue(
        session_id=view.session_id,
        tool_use_id=view.tool_use_id,
        pr_number=view.pr_number,
        diff_sha256=view.diff_sha256,
    )
    pr = f"PR #{view.pr_number}" if view.pr_number is not None else "this change"
    confirm = kit.confirm_dialog(
        "Approve?", f"The agent may merge {pr} with the diff shown.", ok="Approve", cancel="Not yet"
    )
    return kit.actions(
        APPROVAL_BLOCK_ID,
        kit.button(":white_check_mark: Approve", ActionId.APPROVE, value, style="primary", confirm=confirm),
        kit.button(":x: Reject", ActionId.REJECT, value, style="danger"),
    )


def approval_card(view: ApprovalView) -> Message:
    """The approval card: everything an approver needs, and Approve/Reject buttons only while pending."""
    pending = view.state is ApprovalState.PENDING
    heading = _HEADERS.get(view.state, escape(str(view.state)))
    blocks = [kit.header(heading)]
    summary = mrkdwn_from_markdown(escape(view.summary)) or "_No summary given._"
    blocks.extend(kit.sections(summary, max_blocks=MAX_BLOCKS - _RESERVED_BLOCKS, note="… (summary cut short)"))
    if view.pr_number is not None or view.pr_title or view.pr_url:
        blocks.append(kit.section(_pr_line(view)))
    if view.diff.strip():
        preview, more = diff_preview(view.diff)
        blocks.append(kit.section(code_block(preview, max_chars=DIFF_PREVIEW_CHARS + 16)))
        if more:
            blocks.append(kit.context(f"… {more} more lines (full diff in the thread)"))
    if view.diff_sha256:
        short = escape(view.diff_sha256[:8])
        if pending:
            note = f"approves diff {short} — if the diff changes, a new approval is needed"
        else:
            note = f"decision on diff {short}"
        blocks.append(kit.context(f":lock: {note}"))
    if pending:
        blocks.append(kit.divider())
        blocks.append(_buttons(view))
    else:
        blocks.append(kit.section(_decision_line(view)))
    pr = f" PR #{view.pr_number}" if view.pr_number is not None else ""
    word = "Approval needed" if pending else heading.split(" ", 1)[1]
    fallback = f"{word}:{pr} {one_line(escape(view.summary), 300)}".rstrip()
    return Message(text=fallback, blocks=blocks)
