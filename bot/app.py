"""Building the bot: the Bolt app, its clients and listeners. No global app; everything comes from Settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiohttp
from anthropic import AsyncAnthropic
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncServerErrorRetryHandler, async_default_handlers
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.approvers import Approvers
from bot.approvals.gate import ApprovalGate
from bot.approvals.router import ClickRouter
from bot.audit import AuditLog
from bot.identity import SlackIdentity, learn_identity
from bot.incidents.factory import RunFactory
from bot.incidents.intake import AlertIntake
from bot.incidents.opener import IncidentOpener
from bot.incidents.recovery import Recovery
from bot.incidents.registry import IncidentRegistry
from bot.incidents.resources import Once, SessionResources
from bot.incidents.tasks import BackgroundTasks
from bot.listeners import actions, commands, home, messages
from bot.opening_limits import OpeningLimits
from bot.prs import pull_request_store
from bot.prs.base import PullRequestStore
from bot.run.pacing import ChannelPacer
from bot.settings import Settings
from bot.slack_retry import RetryAfterHandler
from bot.sources.registry import Providers, configured
from bot.tools.answers import tool_handlers
from bot.webhooks import WebhookServer

__all__ = ["Bot", "build_bot", "slack_client", "anthropic_client"]

log = logging.getLogger(__name__)


def slack_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries server errors."""
    handlers = async_default_handlers() + [
        RetryAfterHandler(max_retry_count=8),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]
    return AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, retry_handlers=handlers)


def anthropic_client(settings: Settings) -> AsyncAnthropic:
    """The Managed Agents client (ANTHROPIC_BASE_URL points it elsewhere)."""
    return AsyncAnthropic(api_key=settings.anthropic_api_key, base_url=settings.anthropic_base_url)


@dataclass
class Bot:
    """The running bot: Bolt app, clients, incidents. start() connects; stop() disconnects."""

    settings: Settings
    app: AsyncApp
    slack: AsyncWebClient
    anthropic: AsyncAnthropic
    incidents: IncidentRegistry
    identity: Once[SlackIdentity]
    resources: SessionResources
    recovery: Recovery
    intake: AlertIntake
    tasks: BackgroundTasks
    prs: PullRequestStore
    clicks: ClickRouter
    providers: Providers
    handler: AsyncSocketModeHandler | None = field(default=None)
    webhooks: WebhookServer | None = field(default=None)
    webhook_port: int | None = field(default=None)
    _http: aiohttp.ClientSession | None = field(default=None, repr=False)

    async def start(self, *, resume: bool = True, connect_timeout: float = 30.0) -> None:
        """Check the bot token, provision, resume live incidents, then connect to Slack over Socket Mode."""
        if self.slack.session is None:
            # slack_sdk opens a new HTTP session (and connection) per call without one; the benchmark showed
            # that cost in every post and update under load.
            self._http = self.slack.session = aiohttp.ClientSession()
        identity = await self.identity.get()  # a bad bot token fails here, not at the first incident
        log.info("Slack bot user %s (bot %s) in team %s", identity.user_id, identity.bot_id, identity.team_id)
        await self.resources.agent()
        if resume:
            resumed = await self.recovery.resume_all()
            if resumed:
                log.info("resumed %d incident(s)", len(resumed))
        if self.settings.webhook_port is not None:
            tasks, intake, recovery = self.tasks, self.intake, self.recovery
            self.webhooks = WebhookServer(
                self.settings,
                on_alert=lambda alert: _spawned(tasks, intake.open_from_alert(alert, channel=None, ts=None, person=None)),
                on_session_event=lambda sid, kind: _spawned(tasks, recovery.wake(sid, kind)),
                anthropic=self.anthropic,
            )
            port = self.webhook_port = await self.webhooks.start()
            log.info("webhooks listening on %s:%s", self.settings.webhook_host, port)
        self.handler = AsyncSocketModeHandler(self.app, app_token=self.settings.slack_app_token)
        await asyncio.wait_for(self.handler.connect_async(), connect_timeout)
        log.info("connected to Slack; incidents go to %s", self.settings.oncall_channel)

    async def stop(self) -> None:
        """Disconnect from Slack and stop following sessions (they continue in the cloud)."""
        if self.handler is not None:
            await self.handler.close_async()
            self.handler = None
        if self.webhooks is not None:
            await self.webhooks.stop()
            self.webhooks = None
        await self.tasks.close()
        await self.incidents.stop_all()  # the sessions go on in the cloud; a restart picks them up
        await self.prs.aclose()
        await self.providers.aclose()
        if self._http is not None:
            await self._http.close()
            self.slack.session = self._http = None


async def _spawned(tasks: BackgroundTasks, coro) -> None:  # type: ignore[no-untyped-def]
    """Webhook callbacks answer the sender at once; the work runs in a task the bot holds."""
    tasks.spawn(coro, name="webhook")


def build_bot(
    settings: Settings, *, slack: AsyncWebClient | None = None, anthropic: AsyncAnthropic | None = None
) -> Bot:
    """Wire the Bolt app, the incidents' parts and the listeners from settings."""
    slack = slack or slack_client(settings)
    anthropic = anthropic or anthropic_client(settings)
    app = AsyncApp(client=slack, request_verification_enabled=False, ignoring_self_events_enabled=True)
    pacer = ChannelPacer(settings.slack_posts_per_second)
    identity: Once[SlackIdentity] = Once(lambda: learn_identity(slack))
    providers = configured(settings)  # the evidence sources: closed by Bot.stop()
    resources = SessionResources(anthropic, settings, providers=providers)
    registry, tasks, audit = IncidentRegistry(), BackgroundTasks(), AuditLog(settings.audit_log)
    prs = pull_request_store(settings)
    factory = RunFactory(settings=settings, slack=slack, anthropic=anthropic, pacer=pacer, identity=identity,
                         resources=resources, prs=prs, audit=audit,
                         tools=tool_handlers(github=providers.github))  # fmt: skip
    opener = IncidentOpener(channel=settings.oncall_channel, anthropic=anthropic, resources=resources, factory=factory,
                            registry=registry)  # fmt: skip
    recovery = Recovery(channel=settings.oncall_channel, slack=slack, anthropic=anthropic, identity=identity,
                        resources=resources, registry=registry, factory=factory, opener=opener)  # fmt: skip
    limits = OpeningLimits(settings)  # counts new incidents only; resuming one after a restart is free
    intake = AlertIntake(slack=slack, pacer=pacer, registry=registry, opener=opener, limits=limits)
    approvers = Approvers(slack, users=settings.approver_users, groups=settings.approver_groups)

    def gate_of(session_id: str) -> ApprovalGate | None:
        run = registry.find(session_id)
        return run.gate if run is not None else None

    clicks = ClickRouter(approvers, gate_of)
    commands.register(app, opener, tasks, limits, oncall_channel=settings.oncall_channel)
    actions.register(app, registry, tasks, clicks)
    messages.register(app, registry, tasks, intake, alert_channels=settings.alert_channels)
    home.register(app, registry, audit, approvers)
    return Bot(
        settings, app, slack, anthropic, incidents=registry, identity=identity, resources=resources, recovery=recovery,
        intake=intake, tasks=tasks, prs=prs, clicks=clicks, providers=providers,
    )  # fmt: skip
