"""The reason modal and the App Home view: what a person sees, and that a submission round-trips."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from blocks.home import AuditLine, HomeIncident, home_view
from blocks.ids import ButtonValue, CallbackId
from blocks.modals import REASON_ACTION, REASON_BLOCK, read_reason_modal, reason_modal
from blocks.views import IncidentStatus


def test_the_reason_modal_carries_the_clicked_button_and_returns_the_typed_reason():
    value = ButtonValue(session_id="sesn_1", tool_use_id="sevt_9", pr_number=3, diff_sha256="ab" * 32)
    view = reason_modal(
        CallbackId.REJECT_REASON, value, channel="C1", message_ts="1.2", thread_ts="1.0", subject="<!channel> PR #3"
    )
    assert view["submit"]["text"] == "Reject" and view["blocks"][1]["optional"] is True
    assert "<!channel>" not in json.dumps(view["blocks"])  # the subject is agent-influenced text: escaped
    submitted = {**view, "state": {"values": {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": " too big "}}}}}
    back, meta, reason = read_reason_modal(submitted)
    assert back == value and meta["message_ts"] == "1.2" and meta["thread_ts"] == "1.0" and reason == "too big"
    empty = {**view, "state": {"values": {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": None}}}}}
    assert read_reason_modal(empty)[2] == ""
    assert len(view["private_metadata"]) <= 3000


def test_home_shows_what_waits_on_an_approver_and_the_last_decisions():
    at = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
    incidents = [
        HomeIncident("checkout OOM", IncidentStatus.WAITING, "https://x.slack.com/archives/C1/p1", "PR #1 needs a decision"),
        HomeIncident("<script>p99</script>", IncidentStatus.RUNNING, None),
    ]
    decisions = [AuditLine(at, "U1", "approved", "checkout OOM", 1), AuditLine(at, None, "expired", "latency", 2)]
    view = home_view(incidents=incidents, decisions=decisions, viewer_is_approver=True)
    text = json.dumps(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "Waiting on you" in text and "PR #1 needs a decision" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<@U1>" in text and "*approved*" in text and "the bot" in text
    outsider = json.dumps(home_view(incidents=incidents, decisions=[], viewer_is_approver=False))
    assert "not an approver" in outsider and "No decisions yet" in outsider
