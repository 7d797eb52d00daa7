"""The approval card: what an approver sees, the buttons while pending, and the decision afterwards."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from blocks import (
    ActionId,
    ApprovalState,
    ApprovalView,
    Decision,
    approval_card,
    decode_button_value,
)
from blocks.views import Outcome

EVIL = "<!channel> <@U123> <http://evil|click> & co"
SHA = "1a2b3c4d" + "e" * 56
AT = datetime(2026, 5, 1, 14, 5, tzinfo=timezone.utc)
DIFF = "--- a/k8s/checkout.yaml\n+++ b/k8s/checkout.yaml\n@@ -10,1 +10,1 @@\n-memory: 256Mi\n+memory: 512Mi\n"


def _view(**kw) -> ApprovalView:
    base = ApprovalView(
        session_id="sesn_01ABC",
        tool_use_id="sevt_01XYZ",
        summary="Raise the checkout memory limit to stop the OOM kills.",
        state=ApprovalState.PENDING,
        pr_number=7,
        pr_title="Raise checkout memory limit",
        pr_url="https://git.example/infra/pull/7",
        diff=DIFF,
        diff_sha256=SHA,
    )
    return replace(base, **kw)


def _actions(msg) -> list[dict]:
    return [b for b in msg.blocks if b["type"] == "actions"]


def test_pending_card_has_approve_and_reject_buttons_naming_the_call(assert_fits, all_text) -> None:
    msg = approval_card(_view())
    assert_fits(msg)
    [actions] = _actions(msg)
    approve, reject = actions["elements"]
    assert "Approve" in approve["text"]["text"] and approve["style"] == "primary"
    assert "Reject" in reject["text"]["text"] and reject["style"] == "danger"
    assert approve["action_id"] == ActionId.APPROVE and reject["action_id"] == ActionId.REJECT
    for button in (approve, reject):
        value = decode_button_value(button["value"])
        assert (value.session_id, value.tool_use_id) == ("sesn_01ABC", "sevt_01XYZ")
        assert value.pr_number == 7 and value.diff_sha256 == SHA
    assert "Approval needed" in msg.text
    text = all_text(msg)
    assert "approves diff 1a2b3c4d" in text
    assert "<https://git.example/infra/pull/7|#7 Raise checkout memory limit>" in text
    assert "+memory: 512Mi" in text


def test_agent_text_on_the_card_is_escaped(assert_fits, assert_no_ping) -> None:
    view = _view(summary=EVIL, pr_title=EVIL, diff=f"+{EVIL}\n")
    for state, decision in [
        (ApprovalState.PENDING, None),
        (ApprovalState.REJECTED, Decision("rejected", "U777", AT, reason=EVIL)),
    ]:
        msg = approval_card(replace(view, state=state, decision=decision))
        assert_fits(msg)
        assert_no_ping(msg)


def test_a_5000_line_diff_is_cut_with_a_note(assert_fits, all_text) -> None:
    diff = "".join(f"+line {i}: {'z' * 30}\n" for i in range(5000))
    msg = approval_card(_view(diff=diff, diff_file="pr-7.diff"))
    assert_fits(msg)
    text = all_text(msg)
    assert "+line 39:" in text and "+line 40:" not in text
    assert "4960 more lines not shown). The whole diff is the file *pr-7.diff* in this thread" in text
    [code] = [b for b in msg.blocks if b["type"] == "section" and "```" in b["text"]["text"]]
    assert len(code["text"]["text"]) <= 2600


def test_a_diff_of_long_lines_is_cut_by_characters(assert_fits, all_text) -> None:
    msg = approval_card(_view(diff="".join(f"+{i} " + "q" * 400 + "\n" for i in range(30)), diff_file="pr-7.diff"))
    assert_fits(msg)
    assert "more lines not shown and 8 lines cut short). The whole diff is the file *pr-7.diff*" in all_text(msg)


def test_fences_in_a_diff_do_not_break_the_code_block(assert_fits) -> None:
    msg = approval_card(_view(diff="+```\n+rm -rf /\n+```\n"))
    assert_fits(msg)
    [code] = [b for b in msg.blocks if b["type"] == "section" and "rm -rf" in b["text"]["text"]]
    assert code["text"]["text"].count("```") == 2


def test_a_huge_summary_keeps_the_card_within_50_blocks_and_the_buttons(assert_fits, all_text) -> None:
    msg = approval_card(_view(summary="\n\n".join("para " + "s" * 2900 for _ in range(100))))
    assert_fits(msg)
    assert len(msg.blocks) <= 50
    assert msg.blocks[-1]["type"] == "actions"
    assert "summary cut short" in all_text(msg)


def test_decided_cards_have_no_buttons_and_say_who_decided(assert_fits, all_text) -> None:
    cases = [
        (ApprovalState.APPROVED, Decision("approved", "U777", AT), "Approved"),
        (ApprovalState.REJECTED, Decision("rejected", "U888", AT, reason="too risky"), "Rejected"),
    ]
    for state, decision, word in cases:
        msg = approval_card(_view(state=state, decision=decision))
        assert_fits(msg)
        assert _actions(msg) == []
        text = all_text(msg)
        assert word in text and f"<@{decision.by}>" in text
        assert "2026-05-01 14:05 UTC" in text
        assert word in msg.text
    assert "too risky" in all_text(approval_card(_view(state=ApprovalState.REJECTED, decision=cases[1][1])))


def test_expired_and_cancelled_cards_have_no_buttons(assert_fits, all_text) -> None:
    expired = approval_card(_view(state=ApprovalState.EXPIRED, decision=Decision("expired", None, AT)))
    cancelled = approval_card(_view(state=ApprovalState.CANCELLED, note="The session was stopped."))
    for msg in (expired, cancelled):
        assert_fits(msg)
        assert _actions(msg) == []
    assert "Expired — no decision in time" in all_text(expired)
    assert "Cancelled" in all_text(cancelled) and "The session was stopped." in all_text(cancelled)


def test_card_without_a_pr_still_has_buttons(assert_fits) -> None:
    msg = approval_card(_view(pr_number=None, pr_title="", pr_url=None, diff="", diff_sha256=""))
    assert_fits(msg)
    [actions] = _actions(msg)
    assert decode_button_value(actions["elements"][0]["value"]).pr_number is None


def test_an_action_card_says_no_diff_is_attached_and_what_the_approval_covers(assert_fits, all_text) -> None:
    view = _view(summary="Roll back checkout to v1.4.2", pr_number=None, pr_title="", pr_url=None, diff="", diff_sha256="")
    msg = approval_card(view)
    assert_fits(msg)
    text = all_text(msg)
    assert "No diff is attached" in text and "covers the action described above" in text and "*PR:*" not in text
    [actions] = _actions(msg)
    approve = actions["elements"][0]
    assert decode_button_value(approve["value"]).pr_number is None
    assert approve["confirm"]["text"]["text"] == "The agent may carry out the action described on the card, and nothing else."
    decided = approval_card(replace(view, state=ApprovalState.APPROVED, decision=Decision(Outcome.APPROVED, "U1", AT)))
    assert not _actions(decided) and "No diff is attached" in all_text(decided) and "<@U1>" in all_text(decided)
