"""The confirmation card for a held built-in tool call: Allow/Deny while pending, the outcome afterwards."""

from __future__ import annotations

from datetime import datetime, timezone

from blocks import ActionId, ConfirmationState, ConfirmationView, Decision, confirmation_card, decode_button_value

EVIL = "<!channel> <@U123> <http://evil|click> & co"
AT = datetime(2026, 5, 1, 14, 5, tzinfo=timezone.utc)


def _view(tool: str = "bash", tool_input: dict | None = None, **kw) -> ConfirmationView:
    return ConfirmationView(
        session_id="sesn_01ABC",
        tool_use_id="sevt_02HELD",
        tool_name=tool,
        tool_input={"command": "kubectl rollout restart deploy/checkout"} if tool_input is None else tool_input,
        **kw,
    )


def test_pending_bash_call_shows_the_command_and_allow_deny(assert_fits, all_text) -> None:
    msg = confirmation_card(_view())
    assert_fits(msg)
    [actions] = [b for b in msg.blocks if b["type"] == "actions"]
    allow, deny = actions["elements"]
    assert "Allow" in allow["text"]["text"] and allow["style"] == "primary" and allow["action_id"] == ActionId.ALLOW
    assert "Deny" in deny["text"]["text"] and deny["style"] == "danger" and deny["action_id"] == ActionId.DENY
    for button in (allow, deny):
        value = decode_button_value(button["value"])
        assert (value.session_id, value.tool_use_id, value.pr_number) == ("sesn_01ABC", "sevt_02HELD", None)
    assert "```\nkubectl rollout restart deploy/checkout\n```" in all_text(msg)
    assert "Confirmation needed" in msg.text


def test_held_input_is_escaped(assert_fits, assert_no_ping) -> None:
    for tool, tool_input in [
        ("bash", {"command": f"echo '{EVIL}'"}),
        ("write", {"file_path": f"/tmp/{EVIL}", "content": EVIL}),
        ("edit", {"file_path": "/repo/a.yaml", "old_string": EVIL, "new_string": EVIL}),
        ("web_fetch", {"url": EVIL}),
    ]:
        msg = confirmation_card(_view(tool, tool_input))
        assert_fits(msg)
        assert_no_ping(msg)


def test_write_and_edit_show_path_and_content_truncated_to_fit(assert_fits, all_text) -> None:
    write = confirmation_card(_view("write", {"file_path": "/repo/k8s/checkout.yaml", "content": "x: 1\n" * 10_000}))
    assert_fits(write)
    assert "/repo/k8s/checkout.yaml" in all_text(write) and "x: 1" in all_text(write)
    edit = confirmation_card(_view("edit", {"file_path": "/repo/a.yaml", "old_string": "256Mi", "new_string": "512Mi"}))
    assert_fits(edit)
    assert "256Mi" in all_text(edit) and "512Mi" in all_text(edit)


def test_decided_cards_have_no_buttons_and_say_who(assert_fits, all_text) -> None:
    allowed = confirmation_card(_view(state=ConfirmationState.ALLOWED, decision=Decision("allowed", "U777", AT)))
    denied = confirmation_card(
        _view(state=ConfirmationState.DENIED, decision=Decision("denied", "U888", AT, reason="not in prod"))
    )
    cancelled = confirmation_card(_view(state=ConfirmationState.CANCELLED, note="Session ended."))
    for msg in (allowed, denied, cancelled):
        assert_fits(msg)
        assert not [b for b in msg.blocks if b["type"] == "actions"]
    assert "Allowed" in all_text(allowed) and "<@U777>" in all_text(allowed) and "Allowed" in allowed.text
    assert "Denied" in all_text(denied) and "<@U888>" in all_text(denied) and "not in prod" in all_text(denied)
    assert "Cancelled" in all_text(cancelled)
