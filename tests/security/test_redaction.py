"""Secrets are redacted before text is split or cut, without relying on word boundaries, in every format the bot
may meet: in agent messages, tool previews, the root message, the approval card and the attached diff."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import reduce as fold

import pytest

from bot.prs.base import diff_sha256
from bot.alerts import parse_alert_message
from bot.run.reducer import reduce
from bot.run.renderer import render_root, render_thread
from bot.run.state import IncidentState
from bot.secrets import redact

from tests.bot import events as ev
from tests.security.secrets import FORMATS, TOKENS, leaked

FILLER = "."  # not whitespace, so a builder must cut inside the run that holds the secret


def _around(cut: int) -> range:
    """How much filler to put before a secret so that a cut `cut` characters in falls inside it, or just before."""
    return range(cut - 24, cut + 2, 3)


def _run(*events: dict) -> IncidentState:
    start = IncidentState(session_id="sesn_1", title="checkout OOM", started_at=datetime(2026, 11, 23, tzinfo=timezone.utc))
    return fold(reduce, events, start)


def _shown(state: IncidentState) -> str:
    """Everything the thread and the root message would post: texts, blocks and attached files."""
    parts = []
    for r in render_thread(state):
        parts += [r.message.text, repr(r.message.blocks), r.file[1] if r.file else ""]
    root = render_root(state)
    return "\n".join([*parts, root.text, repr(root.blocks)])


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_is_redacted(name):
    secret = FORMATS[name]
    for text in (secret, f"found {secret} in the env", f"KEY={secret};", f"x{secret}y", f'"{secret}"'):
        assert not leaked(secret, redact(text)), text
    assert "[redacted]" in redact(secret)


@pytest.mark.parametrize("name", list(TOKENS))
def test_a_token_right_after_a_literal_newline_is_redacted(name):
    secret = TOKENS[name]
    text = f'{{"env": "PATH=/usr/bin\\n{secret}\\nHOME=/root"}}'  # a JSON string, escapes and all
    assert not leaked(secret, redact(text))
    assert not leaked(secret, _shown(_run(ev.message(text))))


@pytest.mark.parametrize("name", list(TOKENS))
def test_a_token_cut_by_the_split_of_a_long_message_is_redacted_whole(name):
    secret = TOKENS[name]
    # A section holds 3,000 characters: with no space to cut at, the split falls 2,996 characters in; the
    # message's fallback text is cut at 1,000.
    for before in [*_around(2996), *_around(999)]:
        state = _run(ev.message(FILLER * before + secret + FILLER * 4000))
        assert len(render_thread(state)[0].message.blocks) >= 2  # split into sections
        assert not leaked(secret, _shown(state)), before


@pytest.mark.parametrize("name", list(FORMATS))
def test_tool_previews_never_show_a_secret(name):
    secret = FORMATS[name]
    # A step shows 240 characters of its input, JSON input is cut at 200, a result keeps 160 and shows 140.
    for before in [*_around(240 - len("echo ")), *_around(200 - len('{"key":{"token":"')), *_around(139), *_around(160)]:
        command = ev.tool_use("bash", command="echo " + FILLER * before + secret)
        other = ev.tool_use("get_config", key={"token": FILLER * before + secret})
        state = _run(command, ev.tool_result(command, FILLER * before + secret + "\nmore"), other)
        assert not leaked(secret, _shown(state)), before


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_root_message_never_shows_a_secret(name):
    secret = FORMATS[name]
    # The root cause is cut at 2,900 characters; the final message shows three sections, the last cut short.
    for before in [*_around(2900), *_around(3 * 2996 - 30)]:
        cause = ev.message(f"Root cause: {FILLER * before}{secret}")
        state = _run(ev.running(), cause, ev.message(FILLER * before + secret), ev.idle())
        assert not leaked(secret, _shown(state)), before


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_approval_card_and_the_attached_diff_never_show_a_secret(name):
    secret = FORMATS[name]
    added = "\n".join("+" + line for line in secret.splitlines())
    # The preview cuts a long first line at 2,500 characters; the summary is split into 3,000-character sections.
    for before in [*_around(2500 - 1), *_around(2996)]:
        first = "+" + FILLER * before + secret.splitlines()[0]
        diff = "\n".join([first, *(f"+line {i}" for i in range(45)), added, "+after"]) + "\n"
        pr = ev.custom("open_pull_request", title=f"Rotate {secret}", body=secret, diff=diff)
        ask = ev.custom("request_approval", summary=FILLER * before + secret, pr_number=1)
        answer = {"pr_number": 1, "url": "file:///r#pr/1", "diff_sha256": diff_sha256(diff), "diff": diff}  # the store's
        state = _run(pr, ev.custom_result(pr, answer), ask)
        assert any(r.file for r in render_thread(state))  # the whole diff is attached
        assert not leaked(secret, _shown(state)), before


@pytest.mark.parametrize("name", list(TOKENS))
def test_an_alert_title_is_redacted_before_it_is_clipped(name):
    secret = TOKENS[name]
    for before in _around(150 - 1):  # the root message shows an alert's title clipped to 150 characters
        alert = parse_alert_message({"type": "message", "user": "U1", "text": FILLER * before + secret})
        assert not leaked(secret, alert.title), before
