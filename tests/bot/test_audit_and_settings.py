"""The audit trail file, and settings that refuse bad input with a message saying what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.audit import AuditLog, AuditRecord
from bot.settings import Settings, SettingsError, load_settings

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
        ({"CONSOLE_URL": "https://console.example/{session}"}, "CONSOLE_URL"),
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


def test_settings_survive_the_trip_through_environment_variables(tmp_path):
    s = Settings(
        slack_bot_token="xoxb-1", slack_app_token="xapp-1", anthropic_api_key="k", oncall_channel="C1",
        slack_api_url="http://127.0.0.1:1/api/", anthropic_base_url="http://127.0.0.1:2", alert_channels=("C7", "C8"),
        approvers=("U1", "S2"), work_dir=tmp_path / "work", model="claude-x", confirm_tools=("bash",),
        slack_posts_per_second=0.5, approval_remind_after=0.3, approval_timeout=90.0, approval_self_deny=True,
        webhook_port=0, pagerduty_webhook_secret="p", github_repo="acme/infra", audit_log=tmp_path / "audit.jsonl",
        incidents_per_user_per_hour=0, alert_incidents_per_hour=50,
    )  # fmt: skip
    env = s.to_env()
    assert env["AGENT_MODEL"] == "claude-x" and env["APPROVERS"] == "U1,S2" and env["APPROVAL_SELF_DENY"] == "true"
    assert load_settings(env, dotenv_path=None) == s
    defaults = Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", anthropic_api_key="k", oncall_channel="C1")
    dotenv = tmp_path / ".env"
    dotenv.write_text("APPROVERS=U9\nWEBHOOK_PORT=8080\nANTHROPIC_BASE_URL=http://elsewhere\n")
    assert load_settings(defaults.to_env(), dotenv_path=dotenv) == defaults  # every setting is in it: .env adds none


def test_settings_built_in_code_take_nothing_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_the_machine")
    monkeypatch.setenv("APPROVERS", "U9")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("WORK_DIR=/elsewhere\n")
    s = Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", anthropic_api_key="k", oncall_channel="C1")
    assert (s.github_token, s.approvers, s.work_dir) == ("", (), Path(".incident-bot"))
    loaded = load_settings({**BASE, "GITHUB_TOKEN": "ghp_x"})
    assert (loaded.github_token, loaded.work_dir) == ("ghp_x", Path("/elsewhere"))
