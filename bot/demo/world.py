"""The demo world: the Slack and Managed Agents stand-ins on loopback, their people and channels, the settings that
point a bot at them, and the real bot. Used by `python -m bot demo`, the end-to-end and fault tests and the bench."""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import Bot, build_bot
from bot.settings import REPO_ROOT, Settings, clear_proxies
from standins.github import GitHubStandin
from standins.managed_agents import ManagedAgentsStandin
from standins.slack import SlackStandin

__all__ = [
    "ALERTS", "BYSTANDER", "LEAD", "ONCALL", "SAMPLE_ALERTS", "YOU", "DemoWorld", "Standins", "post_sample_alert",
    "start_standins", "start_world",
]  # fmt: skip

ONCALL, ALERTS = "C0ONCALL", "C0ALERTS"
YOU, BYSTANDER = "U0ONCALL", "U0BYSTANDER"
LEAD = "U0LEAD"  # a second approver, who did not open the demo's incident (the two-person rule needs one)
PEOPLE = {
    YOU: {"name": "you", "real_name": "You (on call)"},
    BYSTANDER: {"name": "sam", "real_name": "Sam"},
    LEAD: {"name": "alex", "real_name": "Alex (SRE lead)"},
}
GROUPS = {"S0SRE": [YOU, LEAD]}
SAMPLE_ALERTS = REPO_ROOT / "fixtures" / "alerts"


@dataclass
class Standins:
    """The Slack and Managed Agents stand-ins on loopback, and settings that point a bot at them."""

    slack: SlackStandin
    agents: ManagedAgentsStandin
    settings: Settings

    async def stop(self) -> None:
        """Stop both stand-ins."""
        await self.agents.stop()
        await self.slack.stop()


@dataclass
class DemoWorld(Standins):
    """The stand-ins and the real bot, running in this process."""

    bot: Bot

    async def restart_bot(self) -> None:
        """Stop the bot and start a new one on the same settings: a new process in all but name."""
        await self.bot.stop()
        self.bot = build_bot(self.settings)
        await self.bot.start()

    async def stop(self) -> None:
        """Stop the bot, then the stand-ins."""
        await self.bot.stop()
        await super().stop()


async def start_standins(
    *,
    incident_dir: Path,
    work_dir: Path,
    pace: float = 0.0,
    posts_per_second: float = 50.0,
    brain: object = None,
    slack_port: int = 0,
    github: GitHubStandin | None = None,
    **overrides: Any,
) -> Standins:
    """Start the stand-ins on loopback, with settings for a bot (overrides: any Settings field). With a started
    GitHub stand-in, the bot uses it for PRs, deploys and diffs, and sessions clone its repository."""
    clear_proxies()
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    channels = {ONCALL: "oncall", ALERTS: "alerts"}
    slack = SlackStandin(users=PEOPLE, usergroups=GROUPS, channels=channels, port=slack_port,
                         bot_channels=(ONCALL, ALERTS))  # invited to both, as a real setup does
    api_url = await slack.start()
    agents = ManagedAgentsStandin(pace=pace, brain=brain, github_url=github.api_url if github else None)
    try:
        base_url = await agents.start()
        fields: dict[str, Any] = {
            "slack_bot_token": "xoxb-demo",
            "slack_app_token": "xapp-demo",
            "oncall_channel": ONCALL,
            "anthropic_api_key": "sk-ant-demo",
            "slack_api_url": api_url,
            "anthropic_base_url": base_url,
            "alert_channels": (ALERTS,),
            "approvers": ("S0SRE",),
            "incident_data": incident_dir,
            "runbooks_dir": await asyncio.to_thread(_runbooks, incident_dir),
            "work_dir": work_dir,
            "slack_posts_per_second": posts_per_second,
            "audit_log": work_dir / "audit.jsonl",
        }
        if github is not None:
            fields.update(github_token=github.token, github_repo=github.state.full_name, github_api_url=github.api_url)
        settings = await asyncio.to_thread(functools.partial(Settings, **{**fields, **overrides}))  # checks folders
        _describe_members(slack, settings)
        for source, name in (await asyncio.to_thread(_integrations)).items():
            slack.ui.add_action(f"alert:{source}", f"Fire a {name} alert",
                                functools.partial(post_sample_alert, slack, source), group="Sample alerts")
    except BaseException:
        await agents.stop()
        await slack.stop()
        raise
    return Standins(slack, agents, settings)


async def start_world(*, incident_dir: Path, work_dir: Path, **options: Any) -> DemoWorld:
    """Start the stand-ins (the options of start_standins) and the real bot pointed at them."""
    standins = await start_standins(incident_dir=incident_dir, work_dir=work_dir, **options)
    bot = build_bot(standins.settings)
    try:
        await bot.start()
    except BaseException:
        await standins.stop()
        raise
    return DemoWorld(standins.slack, standins.agents, standins.settings, bot)


def _runbooks(incident_dir: Path) -> Path | None:
    """The fixture's runbooks/ folder: the demo's team runbooks (RUNBOOKS_DIR), as a real team's would be."""
    folder = incident_dir / "runbooks"
    return folder if folder.is_dir() else None


def _describe_members(slack: SlackStandin, settings: Settings) -> None:
    """Say on the page who may decide, as the bot's settings have it (the stand-in itself knows no approvers)."""
    for uid in PEOPLE:
        allowed = uid in settings.approvers or any(uid in GROUPS.get(g, ()) for g in settings.approvers)
        slack.set_profile(uid, title="not an approver" if not allowed else
                          "approver, but not of incidents they open" if settings.approval_self_deny else "approver")


def sample_alert(source: str) -> dict[str, Any]:
    """An integration's sample alert message (fixtures/alerts/<source>.json); blocking: read it in a thread."""
    return dict(json.loads((SAMPLE_ALERTS / f"{source}.json").read_text()))


def integration_name(event: dict[str, Any], source: str) -> str:
    """The name an integration posts under, e.g. "PagerDuty"."""
    return str((event.get("bot_profile") or {}).get("name") or event.get("username") or source)


def _integrations() -> dict[str, str]:
    """Each sample alert's source and the name of the integration that posts it."""
    sources = sorted(p.stem for p in SAMPLE_ALERTS.glob("*.json"))
    return {source: integration_name(sample_alert(source), source) for source in sources}


async def post_sample_alert(slack: SlackStandin, source: str) -> str:
    """Post an integration's sample alert in #alerts as that integration; its ts."""
    event = await asyncio.to_thread(sample_alert, source)
    return await slack.post_message(
        event.get("user") or "U0INTEGRATION", ALERTS, event.get("text") or "",
        bot_id=event.get("bot_id") or "B0INTEGRATION", attachments=event.get("attachments"), blocks=event.get("blocks"),
        username=integration_name(event, source),
    )  # fmt: skip
