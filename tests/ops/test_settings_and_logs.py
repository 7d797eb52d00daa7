"""The operations settings (HEALTH_PORT, SHUTDOWN_GRACE, LIVENESS_MAX_LAG, LOG_FORMAT) and the JSON log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import setup_logging
from bot.settings import SettingsError, load_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "ANTHROPIC_API_KEY": "k", "ONCALL_CHANNEL": "C1"}


def test_operations_settings_have_defaults_and_read_durations() -> None:
    s = load_settings(BASE, dotenv_path=None)
    assert (s.health_port, s.shutdown_grace, s.liveness_max_lag, s.log_format) == (None, 20.0, 5.0, "text")
    s = load_settings({**BASE, "HEALTH_PORT": "8080", "SHUTDOWN_GRACE": "1m", "LOG_FORMAT": "JSON"}, dotenv_path=None)
    assert (s.health_port, s.shutdown_grace, s.log_format) == (8080, 60.0, "json")
    assert load_settings(s.to_env(), dotenv_path=None) == s


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"HEALTH_PORT": "health"}, "HEALTH_PORT"),
        ({"SHUTDOWN_GRACE": "0"}, "SHUTDOWN_GRACE must be positive"),
        ({"LIVENESS_MAX_LAG": "-1"}, "LIVENESS_MAX_LAG"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
    ],
)
def test_bad_operations_settings_are_refused_with_a_clear_message(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({**BASE, **changes}, dotenv_path=None)


@pytest.fixture
def restore_logging():
    """The test run's own logging, restored after a test sets up the bot's."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_log_lines_carry_the_session_and_never_a_token(monkeypatch, restore_logging) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)  # in the test itself: pytest's capture resets it around fixtures
    setup_logging(json_lines=True)
    incident = logging.LoggerAdapter(logging.getLogger("bot.run.incident"), {"session": "sesn_1"})
    incident.warning("posting with %s failed", "xoxb-1234567890-abcdefghij")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.app").exception("could not start")
    lines = [json.loads(line) for line in stderr.getvalue().splitlines()]
    assert [(r["level"], r["logger"], r["session"]) for r in lines] == [
        ("WARNING", "bot.run.incident", "sesn_1"), ("ERROR", "bot.app", "-")]
    assert "xoxb-1234567890" not in stderr.getvalue() and "redacted" in lines[0]["message"]
    assert "ValueError: boom" in lines[1]["exc_info"] and lines[0]["time"].endswith("+00:00")
