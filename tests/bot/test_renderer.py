"""The renderer: which messages the thread shows for a state, under stable keys, within Slack's limits."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import reduce as fold

from blocks.limits import check_message
from bot.run.reducer import reduce
from bot.run.renderer import ThreadMemo, render_root, render_thread
from bot.run.state import IncidentState
from bot.settings import Settings

from tests.bot import events as ev


def _run(*events: dict) -> IncidentState:
    start = IncidentState(session_id="sesn_1", title="checkout OOM", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    return fold(reduce, events, start)


def _buttons(msg) -> list[dict]:
    return [e for b in msg.blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def _all_text(msg) -> str:
    return str(msg.blocks) + msg.text


def test_keys_are_stable_so_a_rerender_changes_nothing():
    a = ev.tool_use("bash", command="ls")
    events = [ev.running(), a, ev.tool_result(a, "logs"), ev.message("Root cause: heap")]
    first = [(r.key, r.message) for r in render_thread(_run(*events))]
    second = [(r.key, r.message) for r in render_thread(_run(*events))]
    assert first == second
    assert [k for k, _ in first] == [f"progress:{a.id}", f"message:{events[3].id}"]


def test_a_thread_rendered_event_by_event_with_a_memo_shows_what_a_fresh_render_shows():
    # The bot re-renders after every event and reuses what did not change: a stale step, card or
    # decision would show here as a difference from rendering the same state from scratch.
    a = ev.tool_use("bash", command="grep OOM logs/app.log")
    pr = ev.custom("open_pull_request", title="Raise memory", body="oom.md", diff="--- a/f\n+++ b/f\n-1\n+2\n")
    ask = ev.custom("request_approval", summary="raise memory to 512Mi")
    events = [
        ev.running(), a, ev.message("Looking at the logs"), ev.tool_result(a, "OOMKilled x3"),
        pr, ev.custom_result(pr, {"pr_number": 1, "url": "file:///r#pr/1", "diff_sha256": "ab" * 32}), ask,
        ev.custom_result(ask, {"decision": "approved", "approver": "U7", "pr_number": 1}),
        ev.message("Merged."), ev.idle(),
    ]
    memo, state, shown = ThreadMemo(), _run(), []
    for event in events:
        state = reduce(state, event)
        shown = render_thread(state, memo)
        assert shown == render_thread(state)
    card = {r.key: r for r in shown}[f"approval:{ask.id}"]
    assert not _buttons(card.message) and "U7" in _all_text(card.message)
    progress = {r.key: r for r in shown}[f"progress:{a.id}"]
    assert "OOMKilled" in _all_text(progress.message)


def test_approval_card_has_buttons_until_decided_and_a_long_diff_is_attached():
    diff = "--- a/f\n+++ b/f\n@@ -1,60 +1,60 @@\n" + "".join(f"-old {i}\n+new {i}\n" for i in range(60))
    pr = ev.custom("open_pull_request", title="Raise memory", body="oom.md", diff=diff)
    ask = ev.custom("request_approval", summary="raise memory to 512Mi")
    answer = {"pr_number": 1, "url": "file:///r#pr/1", "diff": diff, "diff_sha256": hashlib.sha256(diff.encode()).hexdigest()}
    state = _run(pr, ev.custom_result(pr, answer), ask)
    rendered = {r.key: r for r in render_thread(state)}
    card = rendered[f"approval:{ask.id}"]
    assert card.broadcast
    assert {"Approve", "Reject"} <= {b["text"]["text"].split()[-1] for b in _buttons(card.message)} or len(_buttons(card.message)) == 2
    assert rendered["diff:1"].file == ("pr-1.diff", diff)
    decided = reduce(state, ev.custom_result(ask, {"decision": "rejected", "approver": "U7", "reason": "too big", "pr_number": 1}))
    card = {r.key: r for r in render_thread(decided)}[f"approval:{ask.id}"]
    assert not _buttons(card.message)
    assert "Rejected" in _all_text(card.message) and "U7" in _all_text(card.message) and "too big" in _all_text(card.message)


def test_agent_text_is_escaped_and_long_text_is_split_within_limits():
    text = "<!channel> look at <http://evil.example|this> & <@U123>\n\n" + ("lorem ipsum " * 20000)
    state = _run(ev.message(text))
    rendered = render_thread(state)
    assert len(rendered) > 1
    for r in rendered:
        assert not check_message(r.message), check_message(r.message)
        assert "<!channel>" not in _all_text(r.message) and "<@U123>" not in _all_text(r.message)
    assert "&lt;!channel&gt;" in _all_text(rendered[0].message)


def test_root_message_tracks_status_root_cause_and_pr():
    pr = ev.custom("open_pull_request", title="t", body="b", diff="d")
    state = _run(ev.running(), ev.message("Root cause: pricing cache fills the heap"), pr,
                 ev.custom_result(pr, {"pr_number": 3, "url": "https://github.example/pr/3", "diff_sha256": "x"}))
    root = render_root(state, console_url="https://console.example/{session_id}")
    text = _all_text(root)
    assert "pricing cache fills the heap" in text and "#3" in text and "sesn_1" in text
    assert not check_message(root)


def test_the_console_link_is_the_documented_session_url():
    # The Managed Agents cookbook links a session as platform.claude.com/sessions/<id>: no workspace in the path to
    # get wrong (the claude-api skill's /workspaces/default/... form only opens sessions of the Default workspace).
    settings = Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", anthropic_api_key="k", oncall_channel="C1")
    root = render_root(_run(ev.running()), console_url=settings.console_url)
    assert "<https://platform.claude.com/sessions/sesn_1|Open in Console>" in _all_text(root)


def test_secrets_the_agent_repeats_never_reach_slack():
    leak = "found SLACK_BOT_TOKEN=xoxb-1234567890-abcdefghij and key sk-ant-api03-abcdefghijklmnop in the env"
    a = ev.tool_use("bash", command="env | grep TOKEN")
    on_its_own_line, quoted = "env:\nghp_0123456789abcdefghij", 'aws "AKIAABCDEFGHIJKLMNOP"'
    state = _run(a, ev.tool_result(a, leak), ev.message(leak), ev.message(on_its_own_line), ev.message(quoted))
    shown = "".join(_all_text(r.message) for r in render_thread(state)) + _all_text(render_root(state))
    assert "xoxb-1234567890" not in shown and "sk-ant-api03-abc" not in shown
    assert "ghp_0123456789abcdef" not in shown and "AKIAABCDEFGHIJKLMNOP" not in shown
    assert "[redacted]" in shown
