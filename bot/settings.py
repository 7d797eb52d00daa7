"""Settings: the only place that reads the environment (and a `.env` file)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import AliasGenerator, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.setting_types import (Count, Csv, Dollars, Duration, Flag, LogFormat, Port, Positive, SettingsError,
                               variable)

__all__ = [
    "Settings", "SettingsError", "load_settings", "REPO_ROOT", "child_env", "child_path",
    "clear_proxies", "has_display",
]  # fmt: skip

REPO_ROOT = Path(__file__).resolve().parent.parent
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
_TOKENS = {
    "slack_bot_token": ("xoxb-", "a bot token starting with xoxb-"),
    "slack_app_token": ("xapp-", "an app-level token starting with xapp- (Socket Mode)"),
}


class Settings(BaseSettings):
    """Everything the bot is configured with. Read by load_settings(); built directly in tests and the demo,
    where it takes nothing but its arguments."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", case_sensitive=True, env_ignore_empty=True, validate_by_name=True,
        alias_generator=AliasGenerator(validation_alias=variable),
    )  # fmt: skip

    slack_bot_token: str
    slack_app_token: str
    anthropic_api_key: str
    oncall_channel: str
    slack_api_url: str = "https://slack.com/api/"
    anthropic_base_url: str | None = None
    alert_channels: Csv = ()
    approvers: Csv = ()  # Slack user ids (U…/W…) and user-group ids (S…)
    incident_data: Path | None = None  # canned evidence for the demo and the tests; unset in production
    runbooks_dir: Path | None = None  # the team's markdown runbooks: the runbook skill's files
    prometheus_url: str = ""  # turns on query_prometheus
    prometheus_token: str = ""
    loki_url: str = ""  # turns on query_logs
    loki_token: str = ""
    session_budget_usd: Dollars = Decimal(25)  # each incident session's spend ceiling at list price; 0: none
    work_dir: Path = Path(".incident-bot")
    agent_name: str = "incident-bot"
    environment_name: str = "incident-bot"
    model: str = "claude-opus-4-8"
    confirm_tools: Csv = ()  # built-in tools under the always_ask permission policy
    slack_posts_per_second: Positive = 1.0  # per channel; Slack allows about one chat.postMessage a second
    console_url: str = "https://platform.claude.com/sessions/{session_id}"  # as the Managed Agents cookbook links one
    approval_remind_after: Duration = 600.0  # seconds before approvers are reminded of a pending approval
    approval_timeout: Duration = 1800.0  # seconds before a pending approval is answered "rejected"
    approval_self_deny: Flag = False  # two-person rule: whoever opened the incident cannot approve its fix
    stream_read_timeout: Duration = 90.0  # seconds of silence after which a session's stream is reopened
    webhook_port: Port = None  # the webhook server is off unless a port is set
    webhook_host: str = "0.0.0.0"
    health_port: Port = None  # /livez, /readyz and /metrics: off unless a port is set (0 picks a free one)
    health_host: str = "0.0.0.0"
    liveness_max_lag: Duration = 5.0  # seconds the event loop may lag before /livez fails
    shutdown_grace: Duration = 20.0  # seconds SIGTERM gives the drain (Kubernetes' grace period must be longer)
    log_format: LogFormat = "text"  # text, or json: one JSON object a line
    pagerduty_webhook_secret: str = ""
    pagerduty_replay_window: Duration = 300.0  # seconds: a delivery whose event.occurred_at is further off is refused
    alertmanager_token: str = ""
    anthropic_webhook_secret: str = ""  # whsec_… (Standard Webhooks)
    github_token: str = ""
    github_repo: str = ""  # owner/name; with github_token, PRs are real GitHub pull requests
    github_api_url: str = "https://api.github.com"
    audit_log: Path = Path("audit.jsonl")
    incidents_per_user_per_hour: Count = 5  # new incidents (paid agent sessions) one person may open; 0: no limit
    incidents_per_channel_per_hour: Count = 20  # opened by people from one channel
    alert_incidents_per_hour: Count = 20  # opened by alerting integrations (webhooks, integrations' alert messages)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:  # fmt: skip
        # The arguments, then a .env file when one is named. load_settings() passes the environment as the
        # arguments: a Settings built in a test or the demo never picks up the machine's variables.
        return init_settings, dotenv_settings

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, data: Any) -> Any:
        """An empty variable means the default, as if it were not set."""
        return {k: v for k, v in data.items() if v != ""} if isinstance(data, dict) else data

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _token_kind(cls, value: str, info: ValidationInfo) -> str:
        prefix, kind = _TOKENS[str(info.field_name)]
        if not value.startswith(prefix):
            raise SettingsError(f"{variable(str(info.field_name))} must be {kind}")
        return value

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in value if a[:1] not in ("U", "W", "S")]
        if bad:
            raise SettingsError(
                f"APPROVERS must be Slack user ids (U…) or user-group ids (S…); not: {', '.join(bad)}")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slash_ended(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("github_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("console_url")
    @classmethod
    def _session_link(cls, value: str) -> str:
        try:
            value.format(session_id="sesn_x")
        except (KeyError, IndexError, ValueError) as exc:
            raise SettingsError(
                f"CONSOLE_URL is a link that may name {{session_id}} and nothing else, not {value!r}") from exc
        return value

    @field_validator("incident_data", "runbooks_dir")
    @classmethod
    def _a_folder(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None and not value.is_dir():
            raise SettingsError(f"{variable(str(info.field_name))} {value} is not a folder")
        return value

    @field_validator("prometheus_url", "loki_url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if value and not re.fullmatch(r"https?://[^/\s]+\S*", value.strip()):
            raise SettingsError(f"{variable(str(info.field_name))} must be an http(s):// URL, not {value!r}")
        return value.strip()

    @field_validator("github_repo")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        value = value.strip()
        if value and (value.count("/") != 1 or not all(value.split("/"))):
            raise SettingsError(f"GITHUB_REPO must look like owner/name, not {value!r}")
        return value

    @property
    def approver_users(self) -> frozenset[str]:
        """Approvers named by user id."""
        return frozenset(a for a in self.approvers if not a.startswith("S"))

    @property
    def approver_groups(self) -> frozenset[str]:
        """Approvers named by user-group id."""
        return frozenset(a for a in self.approvers if a.startswith("S"))

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (checked like the rest)."""
        return type(self)(**{**dict(self), **changes})

    def to_env(self) -> dict[str, str]:
        """Every setting as the environment variable load_settings() reads it back from ("" for none)."""
        return {variable(name): _as_text(value) for name, value in self}


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


_VARIABLES = frozenset(variable(name) for name in Settings.model_fields)


def _explain(error: ValidationError) -> str:
    """What to fix, in the words of the settings' own checks."""
    problems = error.errors()
    missing = [str(p["loc"][0]) for p in problems if p["type"] == "missing"]
    if missing:
        return (f"missing setting(s): {', '.join(missing)} — set them in the environment or in .env "
                "(see .env.example); `python -m bot demo` needs none of them")  # fmt: skip
    said = [str((p.get("ctx") or {}).get("error") or f"{p['loc'][0]}: {p['msg']}") for p in problems]
    return "; ".join(dict.fromkeys(said))


def load_settings(
    environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = ".env"
) -> Settings:
    """Read settings from the environment, falling back to a `.env` file; raise SettingsError on bad input."""
    env = os.environ if environ is None else environ
    try:
        return Settings(_env_file=dotenv_path, **{name: env[name] for name in _VARIABLES if name in env})
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


def child_path() -> str:
    """The bot's PATH: the only variable a process the bot starts inherits from its environment."""
    return os.environ.get("PATH") or os.defpath


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `python -m bot` started with these settings (the fault tests and the benchmark):
    this process's, less its Slack and Anthropic variables, with every setting and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    return {**env, **settings.to_env(), **extra}


def clear_proxies() -> None:
    """Empty the proxy variables here and in children: the stand-ins are on loopback, and slack_sdk hands
    proxies to aiohttp explicitly."""
    for name in _PROXIES:
        os.environ[name] = ""


def has_display() -> bool:
    """Whether a browser window could open here (a desktop session, macOS or Windows)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")
