"""The incident's root message: status, elapsed time and what is known, at a glance."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from blocks import Decision, IncidentStatus, IncidentView, root_message
from blocks.root import STATUS_LABELS

EVIL = "<!channel> <@U123> <http://evil|click> & co"
START = datetime(2026, 5, 1, 14, 0, tzinfo=timezone.utc)


def _view(**kw) -> IncidentView:
    base = IncidentView(
        title="checkout pods OOMKilled",
        opened_by="U0OPENER",
        status=IncidentStatus.RUNNING,
        started_at=START,
        session_id="sesn_01ABC",
    )
    return replace(base, **kw)


def test_each_status_is_shown_with_its_emoji(assert_fits, all_text) -> None:
    for status in IncidentStatus:
        msg = root_message(_view(status=status), now=START)
        assert_fits(msg)
        emoji, label = STATUS_LABELS[status]
        assert f"{emoji} {label}" in all_text(msg)
        assert msg.text == f"Incident: checkout pods OOMKilled — {label}"
    labels = [label for _, label in STATUS_LABELS.values()]
    assert len(set(labels)) == len(IncidentStatus)


def test_elapsed_time_since_the_start(all_text) -> None:
    assert "12m 05s" in all_text(root_message(_view(), now=START + timedelta(seconds=725)))
    assert "2h 00m 07s" in all_text(root_message(_view(), now=START + timedelta(hours=2, seconds=7)))
    assert "45s" in all_text(root_message(_view(), now=START + timedelta(seconds=45)))
    naive_now = (START + timedelta(minutes=3)).replace(tzinfo=None)  # naive times are UTC
    assert "3m 00s" in all_text(root_message(_view(), now=naive_now))


def test_opener_source_session_and_console_link(assert_fits, all_text) -> None:
    msg = root_message(_view(console_url="https://console.example/sessions/sesn_01ABC", source="alert channel"),
                       now=START)
    assert_fits(msg)
    text = all_text(msg)
    assert "<@U0OPENER>" in text and "alert channel" in text
    assert "`sesn_01ABC`" in text and "<https://console.example/sessions/sesn_01ABC|Open in Console>" in text
    assert "an integration" in all_text(root_message(_view(opened_by=None), now=START))


def test_findings_pr_and_decision(assert_fits, all_text) -> None:
    view = _view(
        status=IncidentStatus.IDLE,
        current_step="bash kubectl describe pod",
        root_cause="memory limit 256Mi too low after deploy d-42",
        pr_number=7,
        pr_url="https://git.example/infra/pull/7",
        decision=Decision("approved", "U777", START + timedelta(minutes=20)),
        status_detail="end_turn",
        final_summary="Merged PR #7; pods stable.",
    )
    msg = root_message(view, now=START + timedelta(minutes=30))
    assert_fits(msg)
    text = all_text(msg)
    for expected in ("kubectl describe pod", "256Mi too low", "<https://git.example/infra/pull/7|#7>",
                     "Approved by <@U777>", "2026-05-01 14:20 UTC", "end_turn", "pods stable", "30m 00s"):
        assert expected in text, expected


def test_agent_and_alert_text_is_escaped(assert_fits, assert_no_ping) -> None:
    view = _view(
        title=EVIL, source=EVIL, current_step=EVIL, root_cause=EVIL, status_detail=EVIL, final_summary=EVIL,
        decision=Decision("rejected", "U777", START, reason=EVIL), pr_number=3, pr_url="javascript:<x>",
    )
    msg = root_message(view, now=START)
    assert_fits(msg)
    assert_no_ping(msg)


def test_long_title_and_summary_still_fit(assert_fits, all_text) -> None:
    msg = root_message(_view(title="t" * 1000, root_cause="r" * 9000, final_summary="s " * 50_000), now=START)
    assert_fits(msg)
    assert "full text in the thread" in all_text(msg)


def test_the_alert_links_are_http_only_escaped_bounded_and_name_their_host(assert_fits, all_text) -> None:
    graph = "http://prometheus.internal:9090/graph?g0.expr=rate(x%5B5m%5D)%20%3E%201&g0.tab=1"
    links = (("Alert", "https://am.example:9093/#/alerts?receiver=bot"), ("Graph", graph))
    text = all_text(root_message(_view(links=links), now=START))
    assert "<https://am.example:9093/#/alerts?receiver=bot|Alert>" in text and "(am.example:9093)" in text
    assert f"<{graph.replace('&', '&amp;')}|Graph>" in text and "(prometheus.internal:9090)" in text

    hostile = (("Alert", "javascript:alert(1)"), ("Graph", "http://x.example/a|<!channel>"),
               ("Graph", "http://x.example/" + "a" * 5000), ("Alert", "data:text/html,<b>hi</b>"),
               ("Alert", "http://evil.example/ <@U123>"), ("Graph", "ftp://files.example/x"))  # fmt: skip
    for label, url in hostile:
        msg = root_message(_view(links=((label, url),)), now=START)
        assert_fits(msg)
        shown = all_text(msg)
        assert "<javascript" not in shown and "<data:" not in shown and "<ftp:" not in shown
        assert "<!channel>" not in shown and "<@U123>" not in shown
        assert "a" * 1001 not in shown  # an over-long link is neither linked nor shown whole


def test_an_alert_resolved_upstream_is_said_on_the_root(all_text) -> None:
    at = START + timedelta(minutes=41, seconds=2)
    text = all_text(root_message(_view(resolved_upstream_at=at), now=at))
    assert "Resolved upstream" in text and f"<!date^{int(at.timestamp())}^" in text
    assert "Resolved upstream" not in all_text(root_message(_view(), now=at))
