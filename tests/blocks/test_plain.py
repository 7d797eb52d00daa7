"""A message without what Slack refused: its words as plain text, or its blocks without buttons."""

from __future__ import annotations

from dataclasses import replace

from blocks import ApprovalState, ApprovalView, Message, approval_card
from blocks.plain import plain_text, without_buttons

DIFF = "--- a/k8s/checkout.yaml\n+++ b/k8s/checkout.yaml\n@@ -10,1 +10,1 @@\n-memory: 256Mi\n+memory: 512Mi\n"
PENDING = ApprovalView(session_id="sesn_01ABC", tool_use_id="sevt_01XYZ", summary="Raise the checkout memory limit.",
                       state=ApprovalState.PENDING, pr_number=7, pr_title="Raise checkout memory limit",
                       pr_url="https://git.example/infra/pull/7", diff=DIFF, diff_sha256="1a2b3c4d" + "e" * 56)


def _pending_card():
    return approval_card(PENDING)


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks for e in (b.get("elements") or []) + [b.get("accessory") or {}]
            if isinstance(e, dict) and e.get("type") == "button"]  # fmt: skip


def test_plain_text_keeps_every_word_of_the_blocks_and_none_of_the_buttons(all_text) -> None:
    card = _pending_card()
    text = plain_text(card, note="(shown as plain text)", limit=40_000)
    for line in all_text(Message(text="-", blocks=[b for b in card.blocks if b["type"] != "actions"])).split("\n"):
        assert line.strip() in text
    assert "Approve" not in text and "Reject" not in text and "Not yet" not in text
    assert text.endswith("(shown as plain text)")


def test_plain_text_fits_the_limit_it_is_given_with_its_note() -> None:
    card = _pending_card()
    text = plain_text(card, note="(shown as plain text)", limit=300)
    assert len(text) <= 300 and text.endswith("(shown as plain text)")


def test_without_buttons_keeps_the_card_and_says_why(assert_fits) -> None:
    card = _pending_card()
    assert _buttons(card.blocks)
    bare = without_buttons(card, note="the whole diff could not be posted")
    assert not _buttons(bare.blocks)
    assert bare.blocks[:2] == card.blocks[:2] and "the whole diff could not be posted" in str(bare.blocks[-1])
    assert_fits(bare)


def test_a_decided_card_has_no_buttons_to_drop() -> None:
    decided = approval_card(replace(PENDING, state=ApprovalState.REJECTED))
    assert not _buttons(decided.blocks)
    assert len(without_buttons(decided, note="n").blocks) == len(decided.blocks) + 1

