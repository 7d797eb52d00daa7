"""Text helpers: escaping, truncation and splitting that keep Slack from pinging, linking or breaking."""

from __future__ import annotations

import re

from blocks.text import code_block, escape, mrkdwn_from_markdown, one_line, split_text, truncate

ENTITY_CUT = re.compile(r"&[a-z]{0,3}$")


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape("<!channel> <@U123> <http://evil|click> & co") == (
        "&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co"
    )


def test_truncate_marks_the_cut_and_never_halves_an_entity() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 20, 10)
    assert len(cut) == 10 and cut.endswith("…")
    for limit in range(5, 30):
        out = truncate("ab" + "&amp;" * 10, limit)
        assert len(out) <= limit
        assert not ENTITY_CUT.search(out.removesuffix("…")), out


def test_one_line_collapses_whitespace() -> None:
    assert one_line("  a\n\n b\tc  ", 100) == "a b c"
    assert len(one_line("word " * 100, 20)) <= 20


def test_split_text_keeps_short_text_whole_and_drops_empty() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("") == []


def test_split_text_prefers_paragraphs_then_lines() -> None:
    paragraphs = ["p%d " % i + "word " * 150 for i in range(10)]
    chunks = split_text("\n\n".join(p.strip() for p in paragraphs), 3000)
    assert all(len(c) <= 3000 for c in chunks)
    assert all(c.startswith("p") for c in chunks)  # every chunk starts at a paragraph


def test_split_text_hard_boundary_never_breaks_an_entity() -> None:
    text = escape("<>&" * 5000)  # no spaces or newlines at all
    chunks = split_text(text, 3000)
    assert all(len(c) <= 3000 for c in chunks)
    assert all(re.fullmatch(r"(&lt;|&gt;|&amp;)+", c) for c in chunks)
    assert "".join(chunks) == text


def test_split_text_balances_code_fences_in_every_chunk() -> None:
    code = "\n".join(f"line {i} of the log" for i in range(1000))
    text = "Here is the log:\n```\n" + code + "\n```\nThat is all."
    chunks = split_text(text, 3000)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 3000
        assert chunk.count("```") % 2 == 0, chunk[-50:]
    joined = "\n".join(chunks)
    for i in range(1000):
        assert f"line {i} of the log" in joined


def test_code_block_neutralises_inner_fences_and_fits() -> None:
    block = code_block("a ``` b\n" * 1000, max_chars=500)
    assert len(block) <= 500
    assert block.startswith("```\n") and block.endswith("\n```")
    assert block.count("```") == 2


def test_markdown_bold_and_headings_become_mrkdwn_outside_code() -> None:
    out = mrkdwn_from_markdown("## Root cause\n**OOM** in checkout\n```\n**keep**\n```")
    assert out.startswith("*Root cause*\n*OOM* in checkout")
    assert "**keep**" in out
