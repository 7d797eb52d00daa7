"""Modals: the optional reason for a Reject or a Deny. The clicked button's value rides in private_metadata."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import ButtonValue, CallbackId
from blocks.text import escape, truncate

__all__ = ["REASON_ACTION", "REASON_BLOCK", "reason_modal", "read_reason_modal"]

REASON_BLOCK = "reason"
REASON_ACTION = "reason_input"


def reason_modal(
    callback_id: CallbackId, value: ButtonValue, *, channel: str, message_ts: str, thread_ts: str | None, subject: str
) -> dict[str, Any]:
    """A modal asking why (optional); submitting it decides. `subject` names what is rejected or denied."""
    rejecting = callback_id is CallbackId.REJECT_REASON
    meta = {"value": value.model_dump(), "channel": channel, "message_ts": message_ts, "thread_ts": thread_ts}
    return {
        "type": "modal",
        "callback_id": str(callback_id),
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "title": {"type": "plain_text", "text": "Reject the fix" if rejecting else "Deny the tool call"},
        "submit": {"type": "plain_text", "text": "Reject" if rejecting else "Deny"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(subject), 2900) or " "}},
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Why? The agent reads this and may try another fix."},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": 2000,
                    "placeholder": {"type": "plain_text", "text": "e.g. 512Mi is too much for this node pool"},
                },
            },
        ],
    }


def read_reason_modal(view: dict[str, Any]) -> tuple[ButtonValue, dict[str, Any], str]:
    """The button value, where it was clicked, and the reason typed, from a submitted reason modal."""
    meta = json.loads(view.get("private_metadata") or "{}")
    value = ButtonValue.model_validate(meta.get("value") or {})
    state = ((view.get("state") or {}).get("values") or {}).get(REASON_BLOCK) or {}
    reason = str((state.get(REASON_ACTION) or {}).get("value") or "").strip()
    return value, meta, reason
