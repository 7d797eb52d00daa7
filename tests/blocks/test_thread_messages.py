"""Thread messages: agent text, tool-call progress, errors and notices, as a person sees them."""

from __future__ import annotations

import re

from blocks import ErrorView, ProgressView, StepState, StepView, agent_messages, error_message, notice, progress_message

EVIL = "<!channel> <@U123> <http://evil|click> & co"


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]+\d+", text)


def test_agent_text_never_pings_or_links(assert_fits, assert_no_ping) -> None:
    [msg] = agent_messages(f"Found it. {EVIL}\n\n**Root cause:** memory limit")
    assert_fits(msg)
    assert_no_ping(msg)
    assert "*Root cause:*" in msg.blocks[0]["text"]["text"]


def test_a_20000_character_message_fits_and_keeps_all_text(assert_fits, all_text) -> None:
    paragraphs = [" ".join(f"w{i}x{j}" for j in range(60)) for i in range(60)]
    text = "\n\n".join(paragraphs)
    text += "\n```\n" + "\n".join(f"log{i} " + "x" * 60 for i in range(100)) + "\n```\n" + EVIL
    assert len(text) >= 20_000
    messages = agent_messages(text)
    for msg in messages:
        assert_fits(msg)
        for block in msg.blocks:
            assert block["text"]["text"].count("```") % 2 == 0
    shown = "\n".join(b["text"]["text"] for m in messages for b in m.blocks)
    assert _words(shown) == _words(text)
    assert "&lt;!channel&gt;" in shown


def test_a_huge_message_becomes_several_messages_within_limits(assert_fits) -> None:
    text = "\n".join(f"line{i} " + "y" * 90 for i in range(3000))  # ~300,000 characters
    messages = agent_messages(text)
    assert len(messages) >= 2
    for msg in messages:
        assert_fits(msg)
        assert len(msg.blocks) <= 50
    shown = "\n".join(b["text"]["text"] for m in messages for b in m.blocks)
    assert _words(shown) == _words(text)


def test_empty_agent_text_posts_nothing() -> None:
    assert agent_messages("   \n") == []


def _step(i: int, state: StepState = StepState.OK, **kw) -> StepView:
    return StepView(tool="bash", summary=f"cat /mnt/session/incident/logs/part{i}.log", state=state, **kw)


def test_progress_with_200_steps_fits_and_mentions_earlier_steps(assert_fits, all_text) -> None:
    steps = tuple(_step(i, result_preview="x" * 500) for i in range(200))
    msg = progress_message(ProgressView(steps=steps, done=False))
    assert_fits(msg)
    text = all_text(msg)
    assert re.search(r"\b\d+ earlier steps\b", text)
    assert "part199.log" in text and "part0.log" not in text
    assert "Working" in text


def test_progress_of_long_steps_keeps_the_newest_within_slacks_total_and_counts_the_rest(assert_fits, all_text) -> None:
    steps = tuple(_step(i, result_preview="y" * 500, custom=True) for i in range(40))
    steps = tuple(StepView(tool=s.tool, summary=s.summary + " " + "z" * 400, state=s.state,
                           result_preview=s.result_preview, custom=True) for s in steps)  # fmt: skip
    msg = progress_message(ProgressView(steps=steps, done=True))
    assert_fits(msg)  # forty of these would carry some 18,000 characters: Slack refuses past 12,000
    text = all_text(msg)
    assert "part39.log" in text and re.search(r"\b\d+ earlier steps\b", text)


def test_progress_shows_state_custom_tools_and_done(assert_fits, all_text) -> None:
    steps = (
        StepView(tool="read", summary="/mnt/session/incident/alert.json", state=StepState.OK, result_preview="{...}"),
        StepView(tool="get_metrics", summary="checkout memory", state=StepState.WAITING, custom=True),
        StepView(tool="bash", summary="false", state=StepState.ERROR, result_preview="exit 1"),
    )
    msg = progress_message(ProgressView(steps=steps, done=True))
    assert_fits(msg)
    text = all_text(msg)
    assert "`get_metrics` _custom_" in text
    assert ":x: `bash`" in text and ":raised_hand: `get_metrics`" in text
    assert "Done" in text and "1 failed" in text
    assert "earlier step" not in text


def test_progress_escapes_agent_written_summaries_and_results(assert_fits, assert_no_ping) -> None:
    steps = (StepView(tool="bash", summary=f"echo '{EVIL}'", state=StepState.OK, result_preview=EVIL),)
    msg = progress_message(ProgressView(steps=steps))
    assert_fits(msg)
    assert_no_ping(msg)


def test_error_message_says_whether_the_platform_retries(assert_fits, assert_no_ping, all_text) -> None:
    expected = {
        "retrying": "retrying",
        "exhausted": "Retries exhausted",
        "terminal": "session has ended",
        None: "no retry",
    }
    for status, phrase in expected.items():
        msg = error_message(ErrorView(error_type="overloaded_error", message=EVIL, retry_status=status))
        assert_fits(msg)
        assert_no_ping(msg)
        assert phrase in all_text(msg)
        assert "overloaded_error" in msg.text


def test_notice_is_escaped_too(assert_fits, assert_no_ping) -> None:
    msg = notice(f"Decision recorded. {EVIL}")
    assert_fits(msg)
    assert_no_ping(msg)
