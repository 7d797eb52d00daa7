"""The benchmark's measuring, without a run: what counts as an event shown in Slack, percentiles, goal lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.incident import chunk_count, make_incident
from bench.load import _max_in_window
from bench.report import figures, goal_lines, markdown, percentiles
from bench.sightings import SlackSightings, event_markers, markers_in
from standins.slack.webapi import ApiCall

APPROVE = "incident_approve"


def _post(at: float, ts: str, text: str, thread_ts: str | None = None, blocks=None, channel="C1") -> ApiCall:
    args = {"channel": channel, "text": text, **({"thread_ts": thread_ts} if thread_ts else {}),
            **({"blocks": blocks} if blocks else {})}
    return ApiCall("chat.postMessage", args, {}, status=200, response={"ok": True, "ts": ts}, at=at)


def _update(at: float, ts: str, text: str, channel="C1") -> ApiCall:
    return ApiCall("chat.update", {"channel": channel, "ts": ts, "text": text}, {}, status=200, response={"ok": True}, at=at)


def test_markers_are_read_from_slack_content() -> None:
    text = "`read` /mnt/session/incident/logs/checkout.part-007.log → chunk 007 of 038: lines [m3] [approval]"
    assert markers_in(text) == {("use", "007"), ("result", "007"), ("msg", "3"), ("approval", "")}
    assert markers_in("nothing to see") == set()


def test_each_visible_event_has_its_own_marker() -> None:
    events = [
        {"id": "e1", "type": "agent.tool_use", "input": {"file_path": "/mnt/x/logs/checkout.part-002.log"}},
        {"id": "e2", "type": "agent.tool_result", "content": [{"type": "text", "text": "chunk 002 of 010: ..."}]},
        {"id": "e3", "type": "agent.message", "content": [{"type": "text", "text": "[m4] After 8 chunks"}]},
        {"id": "e4", "type": "agent.custom_tool_use", "name": "request_approval", "input": {}},
        {"id": "e5", "type": "agent.custom_tool_use", "name": "get_metrics", "input": {}},
        {"id": "e6", "type": "span.model_request_start"},
    ]
    assert event_markers(events) == [(("use", "002"), "e1"), (("result", "002"), "e2"), (("msg", "4"), "e3"),
                                     (("approval", ""), "e4")]


def test_sightings_keep_the_first_call_per_thread_and_follow_updates_of_replies() -> None:
    seen = SlackSightings("C1")
    card = [{"type": "actions", "elements": [{"type": "button", "action_id": APPROVE}]}]
    calls = [
        _post(1.0, "100.1", "root"),
        _post(2.0, "100.2", "reading checkout.part-001.log", thread_ts="100.1"),
        _update(3.0, "100.2", "reading checkout.part-001.log → chunk 001 of 002"),  # a reply's update: same thread
        _post(4.0, "100.3", "[approval] fix", thread_ts="100.1", blocks=card),
        _post(5.0, "200.1", "[m0] elsewhere", channel="C2"),  # another channel: ignored
    ]
    pending = ApiCall("chat.postMessage", {}, {}, status=0, at=1.5)  # still being answered
    seen.feed([*calls[:2], pending], APPROVE)
    assert seen.first["100.1"] == {("use", "001"): 2.0}
    pending.args, pending.status, pending.response = {"channel": "C1", "thread_ts": "100.1", "text": "[m0]"}, 200, {"ts": "100.9"}
    seen.feed([*calls[:2], pending, *calls[2:]], APPROVE)
    assert seen.first["100.1"] == {("use", "001"): 2.0, ("msg", "0"): 1.5, ("result", "001"): 3.0,
                                   ("approval", ""): 4.0}
    assert seen.cards == [("100.1", "100.3", 4.0)]
    assert "200.1" not in seen.first


def test_window_counts_the_busiest_stretch() -> None:
    assert _max_in_window([0.0, 0.5, 0.9, 1.0, 5.0], 1.0) == 3
    assert _max_in_window([float(i) for i in range(20)], 10.0) == 10
    assert _max_in_window([], 1.0) == 0


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentiles(values) == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentiles([7.0]) == {"p50": 7.0, "p95": 7.0, "p99": 7.0, "max": 7.0}
    assert percentiles([])["p99"] is None


def _result(name: str, bot: str, n: int, *, event_ms: list[float], ma_bytes: int, rss: tuple[int, int] = (1000, 1000),
            posts: float = 0.5) -> dict:
    return {"spec": {"name": name, "bot": bot, "incidents": n}, "completed": n, "wall_s": 10.0,
            "ack_ms": [5.0] * n, "event_ms": event_ms, "events_expected": len(event_ms), "click_ms": [20.0] * n,
            "slack_calls": 30 * n, "max_channel_calls_1s": 3, "sustained_posts_per_s": posts, "ma_requests": 10 * n,
            "ma_bytes": ma_bytes, "rss_idle_kb": rss[0], "rss_peak_kb": rss[1], "bot_cpu_s": 0.5 * n,
            "harness_cpu_s": 9.5, "notes": []}


def test_figures_are_per_incident_and_goals_name_where_they_were_judged() -> None:
    rows = [
        figures(_result("ours", "ours", 1, event_ms=[10.0, 20.0], ma_bytes=100 * 1024)),
        figures(_result("baseline", "baseline", 1, event_ms=[500.0], ma_bytes=3000 * 1024, posts=8.0)),
        figures(_result("ours", "ours", 100, event_ms=[30.0] * 98 + [150.0, 160.0], ma_bytes=100 * 100 * 1024,
                        rss=(10_000, 20_000))),
        figures(_result("ours, 1 post/s", "ours", 10, event_ms=[900.0], ma_bytes=10 * 1024, posts=1.0)),
    ]
    assert rows[2]["ma_kb_per_incident"] == pytest.approx(100.0)
    assert rows[2]["rss_kb_per_incident"] == pytest.approx(100.0)
    assert rows[2]["cpu_ms_per_incident"] == pytest.approx(500.0)
    lines = goal_lines(rows, duration=120.0, events=200)
    assert lines[0] == "PASS  /incident ack p99 < 50 ms at N=100: 5.0 ms"
    assert lines[1] == "FAIL  event → Slack p99 < 100 ms at N=100: 150.0 ms"
    assert lines[3] == "PASS  sustained ≤ 1 post/s per channel (ours, 1 post/s, N=10): 1.00 posts/s"
    assert lines[4].startswith("PASS  ≥ 20× fewer Managed Agents bytes than the baseline (N=1): 30.0×")
    assert lines[5] == "PASS  ≤ 100 KB resident memory per active incident at N=100 (N=500 was not run): 100 KB"
    assert any(line.startswith("NOTE  ours N=1: the stand-ins used 0.95 of a core") for line in lines)
    table = markdown(rows)
    assert "| ours | 100 |" in table and "Ratio ours / baseline" in table
    assert "| 1 | " in table.split("Ratio ours / baseline")[1]  # only N=1 ran both


def test_the_incident_cuts_its_log_into_marked_chunks(tmp_path: Path) -> None:
    folder = make_incident(tmp_path / "incident", chunks=chunk_count(200))
    parts = sorted((folder / "logs").glob("checkout.part-*.log"))
    assert len(parts) == chunk_count(200) == 38
    first = parts[6].read_text().splitlines()[0]
    assert first.startswith("chunk 007 of 038: checkout.log lines")
    assert (folder / "repo" / "k8s" / "checkout" / "deployment.yaml").is_file()
