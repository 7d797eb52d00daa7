"""Settings: the only place that reads the environment (and a `.env` file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

__all__ = ["Settings", "SettingsError", "load_settings", "DEFAULT_INCIDENT_DATA"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INCIDENT_DATA = REPO_ROOT / "fixtures" / "checkout-oom"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with. Built by load_settings(), or directly in tests and the demo."""

    slack_bot_token: str
    slack_app_token: str
    oncall_channel: str
    anthropic_api_key: str
    slack_api_url: str = "https://slack.com/api/"
    anthropic_base_url: str | None = None
    alert_channels: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()  # Slack user ids (U…/W…) and user-group ids (S…)
    incident_data: Path = DEFAULT_INCIDENT_DATA
    work_dir: Path = field(default_factory=lambda: Path(".incident-bot"))
    agent_name: str = "incident-bot"
    environment_name: str = "incident-bot"
    model: str = "claude-opus-4-8"
    confirm_tools: tuple[str, ...] = ()  # built-in tools under the always_ask permission policy
    slack_posts_per_second: float = 1.0  # per channel; Slack allows about one chat.postMessage a second
    console_url: str = "https://platform.claude.com/workspaces/default/sessions/{session_id}"
    approval_remind_after: float = 600.0  # seconds before approvers are reminded of a pending approval
    approval_timeout: float = 1800.0  # seconds before a pending approval is answered "rejected"
    approval_self_deny: bool = False  # two-person rule: whoever opened the incident cannot approve its fix
    webhook_port: int | None = None  # the webhook server is off unless a port is set
    webhook_host: str = "0.0.0.0"
    pagerduty_webhook_secret: str = ""
    pagerduty_replay_window: float = 300.0  # seconds: a delivery whose event.occurred_at is further off is refused
    alertmanager_token: str = ""
    anthropic_webhook_secret: str = ""  # whsec_… (Standard Webhooks)
    github_token: str = ""
    github_repo: str = ""  # owner/name; with github_token, PRs are real GitHub pull requests
    github_api_url: str = "https://api.github.com"
    audit_log: Path = field(default_factory=lambda: Path("audit.jsonl"))
    incidents_per_user_per_hour: int = 5  # new incidents (paid agent sessions) one person may open; 0: no limit
    incidents_per_channel_per_hour: int = 20  # opened by people from one channel
    alert_incidents_per_hour: int = 20  # opened by alerting integrations (webhooks, integrations' alert messages)

    @property
    def approver_users(self) -> frozenset[str]:
        """Approvers named by user id."""
        return frozenset(a for a in self.approvers if not a.startswith("S"))

    @property
    def approver_groups(self) -> frozenset[str]:
        """Approvers named by user-group id."""
        return frozenset(a for a in self.approvers if a.startswith("S"))

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    """Seconds, or a number with a unit: 90s, 10m, 1h."""
    raw = (env.get(name) or "").strip().lower()
    units = {"s": 1, "m": 60, "h": 3600}
    if raw and raw[-1] in units:
        return _number({name: raw[:-1]}, name, default) * units[raw[-1]]
    return _number(env, name, default)


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number, 0 or more."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise SettingsError(f"{name} must be a whole number (0 turns the limit off), not {raw!r}")
    return int(raw)


def _port(env: Mapping[str, str], name: str) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise SettingsError(f"{name} must be a port number (0-65535), not {raw!r}")
    return int(raw)


def _github_repo(raw: str) -> str:
    raw = raw.strip()
    if raw and (raw.count("/") != 1 or not all(raw.split("/"))):
        raise SettingsError(f"GITHUB_REPO must look like owner/name, not {raw!r}")
    return raw


def child_path() -> str:
    """The bot's PATH: the only variable a process the bot starts inherits from its environment."""
    return os.environ.get("PATH") or os.defpath


def load_settings(
    environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = ".env"
) -> Settings:
    """Read settings from the environment, falling back to a `.env` file; raise SettingsError on bad input."""
    env: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    missing = [
        name
        for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ANTHROPIC_API_KEY", "ONCALL_CHANNEL")
        if not env.get(name)
    ]
    if missing:
        raise SettingsError(
            f"missing setting(s): {', '.join(missing)} — set them in the environment or in .env "
            "(see .env.example); `python -m bot demo` needs none of them"
        )
    if not env["SLACK_BOT_TOKEN"].startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if not env["SLACK_APP_TOKEN"].startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode)")
    approvers = _csv(env.get("APPROVERS"))
    bad = [a for a in approvers if a[:1] not in ("U", "W", "S")]
    if bad:
        raise SettingsError(f"APPROVERS must be Slack user ids (U…) or user-group ids (S…); not: {', '.join(bad)}")
    rate = _number(env, "SLACK_POSTS_PER_SECOND", 1.0)
    remind = _duration(env, "APPROVAL_REMIND_AFTER", 600.0)
    timeout = _duration(env, "APPROVAL_TIMEOUT", 1800.0)
    api_url = env.get("SLACK_API_URL") or "https://slack.com/api/"
    if not api_url.endswith("/"):
        api_url += "/"
    data = Path(env.get("INCIDENT_DATA") or DEFAULT_INCIDENT_DATA)
    if not data.is_dir():
        raise SettingsError(f"INCIDENT_DATA {data} is not a folder")

    return Settings(
        slack_bot_token=env["SLACK_BOT_TOKEN"],
        slack_app_token=env["SLACK_APP_TOKEN"],
        oncall_channel=env["ONCALL_CHANNEL"],
        anthropic_api_key=env["ANTHROPIC_API_KEY"],
        slack_api_url=api_url,
        anthropic_base_url=env.get("ANTHROPIC_BASE_URL") or None,
        alert_channels=_csv(env.get("ALERT_CHANNELS")),
        approvers=approvers,
        incident_data=data,
        work_dir=Path(env.get("WORK_DIR") or ".incident-bot"),
        agent_name=env.get("AGENT_NAME") or "incident-bot",
        environment_name=env.get("ENVIRONMENT_NAME") or "incident-bot",
        model=env.get("AGENT_MODEL") or "claude-opus-4-8",
        confirm_tools=_csv(env.get("CONFIRM_TOOLS")),
        slack_posts_per_second=rate,
        approval_remind_after=remind,
        approval_timeout=timeout,
        approval_self_deny=env.get("APPROVAL_SELF_DENY", "").strip().lower() in ("1", "true", "yes", "on"),
        webhook_port=_port(env, "WEBHOOK_PORT"),
        webhook_host=env.get("WEBHOOK_HOST") or "0.0.0.0",
        pagerduty_webhook_secret=env.get("PAGERDUTY_WEBHOOK_SECRET", ""),
        pagerduty_replay_window=_duration(env, "PAGERDUTY_REPLAY_WINDOW", 300.0),
        alertmanager_token=env.get("ALERTMANAGER_TOKEN", ""),
        anthropic_webhook_secret=env.get("ANTHROPIC_WEBHOOK_SECRET", ""),
        github_token=env.get("GITHUB_TOKEN", ""),
        github_repo=_github_repo(env.get("GITHUB_REPO", "")),
        github_api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        audit_log=Path(env.get("AUDIT_LOG") or "audit.jsonl"),
        incidents_per_user_per_hour=_count(env, "INCIDENTS_PER_USER_PER_HOUR", 5),
        incidents_per_channel_per_hour=_count(env, "INCIDENTS_PER_CHANNEL_PER_HOUR", 20),
        alert_incidents_per_hour=_count(env, "ALERT_INCIDENTS_PER_HOUR", 20),
    )
