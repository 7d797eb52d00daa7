"""check_message names every Slack limit a message breaks, so no builder posts something Slack refuses."""

from __future__ import annotations

from blocks import Message, check_message


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(text: str = "Go", value: str = "v", action_id: str = "a") -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "value": value, "action_id": action_id}


def test_a_fine_message_has_no_problems() -> None:
    assert check_message(Message("hi", [_section("hello"), {"type": "divider"}])) == []


def test_each_broken_limit_is_named() -> None:
    cases = {
        "3001": Message("t", [_section("x" * 3001)]),
        "51 blocks": Message("t", [_section("x")] * 51),
        "40001": Message("x" * 40001, []),
        "76": Message("t", [{"type": "actions", "elements": [_button("x" * 76)]}]),
        "value has 2001": Message("t", [{"type": "actions", "elements": [_button(value="v" * 2001)]}]),
        "action_id has 256": Message("t", [{"type": "actions", "elements": [_button(action_id="a" * 256)]}]),
        "151": Message("t", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]),
        "11 elements": Message("t", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]),
        "empty": Message("t", [_section("")]),
        "duplicate block_id": Message("t", [{"type": "divider", "block_id": "d"}] * 2),
        "block_id has 256": Message("t", [{"type": "divider", "block_id": "b" * 256}]),
    }
    for needle, msg in cases.items():
        problems = check_message(msg)
        assert any(needle in p for p in problems), (needle, problems)


def test_every_problem_is_listed_not_just_the_first() -> None:
    msg = Message("x" * 40001, [_section("x" * 3001)] * 51)
    assert len(check_message(msg)) >= 1 + 1 + 51
