"""What survives a restart is built within Slack's and the API's limits and read back exactly, or not at all."""

from __future__ import annotations

import pytest

from bot.metadata import MessageMetadata, RootRecord, SessionMetadata, session_title


def _message(payload: object, event_type: str = "incident_bot") -> dict:
    return {"ts": "1.0", "metadata": {"event_type": event_type, "event_payload": payload}}


def test_a_root_record_is_cut_to_its_limits_and_read_back_from_the_root_message():
    record = RootRecord.fit(title="t" * 900, opened_by="U1", source="s" * 300, opening="o" * 5000, dedupe_key="k" * 900)
    assert (len(record.title), len(record.source), len(record.opening), len(record.dedupe_key)) == (500, 200, 3000, 200)
    posted = MessageMetadata(key="root", record=record).dump()
    assert posted["event_type"] == "incident_bot"
    assert posted["event_payload"]["title"] == record.title and posted["event_payload"]["session_id"] == ""
    assert MessageMetadata.parse(_message(posted["event_payload"])) == MessageMetadata(key="root", record=record)


def test_a_thread_message_carries_its_key_digest_and_session_and_no_record():
    meta = MessageMetadata(key="message:sevt_1", digest="abc", session_id="sesn_1", record=RootRecord(title="x"))
    payload = meta.dump()["event_payload"]
    assert payload == {"key": "message:sevt_1", "digest": "abc", "session_id": "sesn_1"}
    assert MessageMetadata.parse(_message(payload)) == MessageMetadata(key="message:sevt_1", digest="abc", session_id="sesn_1")


def test_a_failed_opening_is_read_as_failed_also_in_the_shape_older_versions_wrote():
    failed = RootRecord(title="t", opening="o").model_copy(update={"failed": True})
    assert MessageMetadata(key="root", record=failed).dump()["event_payload"]["failed"] == "1"
    old = MessageMetadata.parse(_message({"key": "root", "session_id": "", "failed": "1"}))
    assert old is not None and old.record is not None and old.record.failed and not old.record.opening


@pytest.mark.parametrize(
    "message",
    [
        {"ts": "1.0"},
        _message({"key": "root"}, event_type="someone_else"),
        _message("root"),
        _message({"digest": "abc"}),
        _message({"key": ""}),
        _message({"key": 1}),
        _message({"key": "message:1", "digest": 5}),
        _message({"key": "message:1", "session_id": ["sesn_1"]}),
        _message({"key": "root", "title": "ok", "opening": {"text": "not a string"}}),
        _message({"key": "root", "title": "ok", "failed": "yes"}),
        _message({"key": "root", "title": "t" * 501}),
    ],
)
def test_anything_but_the_exact_shape_is_refused_whole(message):
    assert MessageMetadata.parse(message) is None


def test_session_metadata_fits_the_apis_limits_whatever_it_is_given():
    meta = SessionMetadata.fit(
        slack_channel="C1", slack_thread_ts="1.0", incident_id="i" * 900, incident_title="t" * 900,
        opened_by="U" * 900, source="s" * 900, stopped_by="U" * 900, incident_closed=True,
    )  # fmt: skip
    dumped = meta.dump()
    assert len(dumped) <= 16 and all(len(k) <= 64 and len(v) <= 512 for k, v in dumped.items())
    assert len(SessionMetadata.model_fields) <= 16
    assert SessionMetadata.parse(dumped) == meta


def test_a_new_sessions_metadata_is_the_routing_table_only():
    meta = SessionMetadata.fit(slack_channel="C1", slack_thread_ts="1.0", incident_id="oom", incident_title="OOM",
                               opened_by="", source="slash command")  # fmt: skip
    assert meta.dump() == {"incident_bot": "1", "slack_channel": "C1", "slack_thread_ts": "1.0", "incident_id": "oom",
                           "incident_title": "OOM", "opened_by": "", "source": "slash command"}  # fmt: skip


def test_what_a_restart_reads_from_a_session_and_what_it_refuses():
    read = SessionMetadata.parse({"incident_bot": "1", "slack_channel": "C1", "slack_thread_ts": "1.0",
                                  "stopped_by": "U1", "incident_closed": "1", "someone_elses": "x"})  # fmt: skip
    assert read is not None and read.stopped_by == "U1" and read.incident_closed
    assert SessionMetadata.parse(None) is None
    assert SessionMetadata.parse({"slack_channel": "C1", "slack_thread_ts": "1.0"}) is None  # not an incident's
    assert SessionMetadata.parse({"incident_bot": "1", "slack_channel": "C1"}) is None  # no thread
    assert SessionMetadata.parse({"incident_bot": "1", "slack_channel": "C1", "slack_thread_ts": "1.0",
                                  "incident_closed": "yes"}) is None  # fmt: skip


def test_a_session_title_is_printable_and_at_most_80_characters():
    assert session_title("checkout\nOOM\x00") == "checkout OOM"
    assert session_title("") == "Incident"
    long = session_title("x" * 200)
    assert len(long) == 80 and long.endswith("…")
