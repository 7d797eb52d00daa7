"""Both stand-ins with the real clients pointed at them, and the incidents' parts wired from their constructors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anthropic import AsyncAnthropic
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import slack_client
from bot.audit import AuditLog
from bot.identity import SlackIdentity, learn_identity
from bot.incidents.factory import RunFactory
from bot.incidents.intake import AlertIntake
from bot.incidents.opener import IncidentOpener
from bot.incidents.recovery import Recovery
from bot.incidents.registry import IncidentRegistry
from bot.incidents.resources import Once, SessionResources
from bot.metadata import MessageMetadata
from bot.opening_limits import OpeningLimits
from bot.prs.local import LocalPullRequests
from bot.run.pacing import ChannelPacer
from bot.settings import REPO_ROOT, Settings
from bot.sources.registry import Providers, configured
from standins.managed_agents import ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain
from standins.slack import SlackStandin
from standins.slack.testing import bolt_app, socket_mode
from tests.support.standins import standard_workspace

__all__ = ["ALERTS", "ALICE", "ONCALL", "Parts", "Stand", "listening", "root_metadata", "stand"]

ONCALL, ALERTS, ALICE = "C0ONCALL", "C0ALERTS", "U0ALICE"
OOM = REPO_ROOT / "fixtures" / "checkout-oom"


@dataclass
class Stand:
    """The Slack and Managed Agents stand-ins, a scripted agent, settings, and the real clients."""

    slack: SlackStandin
    agents: ManagedAgentsStandin
    brain: ScriptedBrain
    settings: Settings
    web: AsyncWebClient
    anthropic: AsyncAnthropic

    def parts(self) -> Parts:
        """A fresh process's incidents parts (nothing in memory from an earlier one)."""
        s, web, anthropic = self.settings, self.web, self.anthropic
        identity: Once[SlackIdentity] = Once(lambda: learn_identity(web))
        providers = configured(s)
        resources, registry = SessionResources(anthropic, s, providers=providers), IncidentRegistry()
        pacer, prs = ChannelPacer(s.slack_posts_per_second), LocalPullRequests(s.work_dir / "repos")
        factory = RunFactory(settings=s, slack=web, anthropic=anthropic, pacer=pacer, identity=identity,
                             resources=resources, prs=prs, audit=AuditLog(s.audit_log))
        opener = IncidentOpener(channel=ONCALL, anthropic=anthropic, resources=resources, factory=factory,
                                registry=registry)
        recovery = Recovery(channel=ONCALL, slack=web, anthropic=anthropic, identity=identity, resources=resources,
                            registry=registry, factory=factory, opener=opener)
        intake = AlertIntake(slack=web, pacer=pacer, registry=registry, opener=opener, limits=OpeningLimits(s))
        return Parts(registry=registry, factory=factory, opener=opener, recovery=recovery, intake=intake,
                     providers=providers)

    def thread(self, ts: str) -> list[dict[str, Any]]:
        return self.slack.thread(ONCALL, ts)

    def sessions_created(self) -> list[Any]:
        """The sessions.create requests the stand-in answered with a session."""
        return [r for r in self.agents.requests if r.method == "POST" and r.path == "/v1/sessions" and r.status < 300]


@dataclass
class Parts:
    registry: IncidentRegistry
    factory: RunFactory
    opener: IncidentOpener
    recovery: Recovery
    intake: AlertIntake
    providers: Providers

    async def close(self) -> None:
        """What a process does when it stops: stop following (the sessions go on in the stand-in)."""
        await self.registry.stop_all()
        await self.providers.aclose()


@asynccontextmanager
async def stand(tmp_path: Path, *, brain: ScriptedBrain | None = None, **settings: Any) -> AsyncIterator[Stand]:
    """Start both stand-ins (a scripted agent that says back what it is told, unless given another)."""
    slack, brain = standard_workspace(), brain or ScriptedBrain()
    agents = ManagedAgentsStandin(brain=brain)
    api_url = await slack.start()
    base_url = await agents.start()
    fields: dict[str, Any] = {
        "slack_bot_token": "xoxb-test", "slack_app_token": "xapp-test", "oncall_channel": ONCALL,
        "alert_channels": (ALERTS,), "anthropic_api_key": "sk-ant-test", "slack_api_url": api_url,
        "anthropic_base_url": base_url, "incident_data": OOM, "work_dir": tmp_path / "work",
        "slack_posts_per_second": 50.0, "audit_log": tmp_path / "audit.jsonl",
    }
    s = Settings(**{**fields, **settings})
    web, anthropic = slack_client(s), AsyncAnthropic(api_key=s.anthropic_api_key, base_url=s.anthropic_base_url)
    try:
        yield Stand(slack=slack, agents=agents, brain=brain, settings=s, web=web, anthropic=anthropic)
    finally:
        await anthropic.close()
        await agents.stop()
        await slack.stop()


def root_metadata(slack: SlackStandin, ts: str) -> MessageMetadata | None:
    """The bot's metadata on a root message in the on-call channel, as the bot would read it back."""
    [root] = [m for m in slack.messages(ONCALL) if m["ts"] == ts]
    return MessageMetadata.parse(root)


@asynccontextmanager
async def listening(slack: SlackStandin) -> AsyncIterator[None]:
    """An app on Socket Mode that takes message events: the stand-in delivers each member's post to one."""
    app = bolt_app(slack.api_url)

    async def ignore(event: dict[str, Any]) -> None:
        return None

    app.event("message")(ignore)
    async with socket_mode(app):
        yield
