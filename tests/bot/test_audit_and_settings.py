"""The audit trail file, and settings that refuse bad input with a message saying what to fix."""

from __future__ import annotations

import pytest

from bot.audit import AuditLog, AuditRecord
from bot.settings import SettingsError, load_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "ANTHROPIC_API_KEY": "k", "ONCALL_CHANNEL": "C1"}


async def test_the_audit_log_appends_lines_and_reads_the_newest_first(tmp_path):
    audit = AuditLog(tmp_path / "nested" / "audit.jsonl")
    for i in range(25):
        await audit.append(AuditRecord(when=AuditRecord.now(), who="U1", action="approved", incident=f"inc {i}", session_id="s"))
    with audit.path.open("a") as f:
        f.write("not json\n")
    last = await audit.last(20)
    assert len(audit.path.read_text().splitlines()) == 26
    assert [r.incident for r in last[:2]] == ["inc 24", "inc 23"] and len(last) == 19  # the broken line is skipped


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xapp-wrong"}, "xoxb-"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "xapp-"),
        ({"APPROVERS": "U1,alice"}, "alice"),
        ({"APPROVAL_TIMEOUT": "soon"}, "APPROVAL_TIMEOUT"),
        ({"WEBHOOK_PORT": "http"}, "WEBHOOK_PORT"),
        ({"GITHUB_REPO": "just-a-name"}, "owner/name"),
        ({"INCIDENT_DATA": "/no/such/folder"}, "INCIDENT_DATA"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(changes, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({**BASE, **changes}, dotenv_path=None)


def test_settings_parse_lists_durations_and_defaults(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("APPROVERS=U1, S2\nALERT_CHANNELS=C7,C8\n")
    s = load_settings({**BASE, "APPROVAL_REMIND_AFTER": "2m", "SLACK_API_URL": "http://127.0.0.1:1/api"}, dotenv_path=env_file)
    assert s.approver_users == {"U1"} and s.approver_groups == {"S2"} and s.alert_channels == ("C7", "C8")
    assert s.approval_remind_after == 120.0 and s.approval_timeout == 1800.0
    assert s.slack_api_url.endswith("/api/") and s.webhook_port is None
