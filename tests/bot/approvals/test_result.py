"""The request_approval answer: written and read through one model, with the fields the contract and the merge
check rely on."""

from __future__ import annotations

import json

from blocks.views import Outcome
from bot.approvals.result import ApprovalResult


def test_a_decision_is_written_with_the_contract_fields_and_read_back_the_same() -> None:
    result = ApprovalResult.now(approved=True, approver="U1", reason="looks right", pr=3, diff_sha256="ab" * 32)
    data = json.loads(result.dump())
    assert list(data) == ["decision", "approver", "reason", "pr_number", "diff_sha256", "decided_at"]
    assert data["decision"] == "approved" and data["approver"] == "U1" and data["pr_number"] == 3
    assert ApprovalResult.read(result.dump()) == result and result.outcome is Outcome.APPROVED


def test_an_expired_decision_is_a_rejection_by_nobody_that_says_so() -> None:
    result = ApprovalResult.now(approved=False, approver=None, reason="no decision within 30 min", pr=None, expired=True)
    data = json.loads(result.dump())
    assert (data["decision"], data["approver"], data["expired"]) == ("rejected", None, True)
    assert ApprovalResult.read(result.dump()).outcome is Outcome.EXPIRED


def test_what_is_not_a_decision_reads_as_none_and_a_bad_pr_number_as_no_pr() -> None:
    for text in ("", "not json", "[1]", '{"error": "no pull request"}', '{"decision": "maybe"}'):
        assert ApprovalResult.read(text) is None, text
    odd = ApprovalResult.read('{"decision": "rejected", "approver": "U1", "pr_number": 1e999}')
    assert odd is not None and odd.pr_number is None and odd.decided_at is None


def test_a_decision_forced_by_a_stop_is_a_rejection_that_says_so() -> None:
    result = ApprovalResult.now(approved=False, approver="U1", reason="stopped by <@U1>", pr=None, stopped=True)
    data = json.loads(result.dump())
    assert (data["decision"], data["approver"], data["stopped"], data["pr_number"]) == ("rejected", "U1", True, None)
    assert "expired" not in data and ApprovalResult.read(result.dump()) == result
    assert result.outcome is Outcome.REJECTED
