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
from bot.ops.checks import flag, managed_agents_reachable, socket_mode_connected
from bot.ops.health import HealthServer
from bot.ops.metrics import BotMetrics
from bot.ops.readiness import Readiness
from bot.ops.shutdown import CLOSING_RESERVE, Deadline, Releases
from bot.ops.slack_calls import SlackCallCounter
from bot.ops.socket_mode import MeasuredSocketModeHandler
from bot.ops.watchdog import LoopWatchdog
from bot.prs import pull_request_store
from bot.prs.base import PullRequestStore
from bot.run.pacing import ChannelPacer
from bot.settings import Settings
from bot.slack_retry import RetryAfterHandler
from bot.sources.alert_graph import gather_alert_graph
from bot.sources.registry import Providers, configured
from bot.tools.answers import tool_handlers
from bot.webhooks import WebhookServer

__all__ = ["Bot", "build_bot", "slack_client", "anthropic_client"]

log = logging.getLogger(__name__)


def slack_client(settings: Settings, metrics: BotMetrics | None = None) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries server errors (and counts its calls)."""
    counting = [SlackCallCounter(metrics)] if metrics is not None else []
    handlers = counting + async_default_handlers() + [
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
    metrics: BotMetrics = field(default_factory=BotMetrics)
    readiness: Readiness = field(default_factory=Readiness)
    releases: Releases = field(default_factory=Releases)  # given back at shutdown (the replicas' leases)
    handler: AsyncSocketModeHandler | None = field(default=None)
    webhooks: WebhookServer | None = field(default=None)
    webhook_port: int | None = field(default=None)
    health: HealthServer | None = field(default=None)
    _provisioned: bool = field(default=False, repr=False)
    _draining: bool = field(default=False, repr=False)
    _http: aiohttp.ClientSession | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.metrics.watch(lambda: list(self.incidents.runs.values()))
        self.readiness.add("accepting", flag(lambda: not self._draining, yes="taking work", no="draining: stopping"))
        self.readiness.add("slack", socket_mode_connected(lambda: self.handler))
        self.readiness.add("provisioned", flag(lambda: self._provisioned, yes="agent and environment ready",
                                               no="provisioning the agent and environment"))  # fmt: skip
        self.readiness.add("managed_agents", managed_agents_reachable(self.anthropic))

    @property
    def health_port(self) -> int | None:
        """The port /livez, /readyz and /metrics answer on, once started (None when HEALTH_PORT is unset)."""
        return self.health.port if self.health is not None else None

    async def start(self, *, resume: bool = True, connect_timeout: float = 30.0) -> None:
        """Answer health probes, check the bot token, provision, resume live incidents, then connect to Slack over
        Socket Mode."""
        if self.settings.health_port is not None and self.health is None:
            # First: /livez answers while provisioning and resuming, and /readyz says which step is missing.
            watchdog = LoopWatchdog(self.metrics, limit=self.settings.liveness_max_lag)
            self.health = HealthServer(host=self.settings.health_host, port=self.settings.health_port,
                                       readiness=self.readiness, metrics=self.metrics, watchdog=watchdog)  # fmt: skip
            await self.health.start()
        if self.slack.session is None:
            # slack_sdk opens a new HTTP session (and connection) per call without one; the benchmark showed
            # that cost in every post and update under load.
            self._http = self.slack.session = aiohttp.ClientSession()
        identity = await self.identity.get()  # a bad bot token fails here, not at the first incident
        log.info("Slack bot user %s (bot %s) in team %s", identity.user_id, identity.bot_id, identity.team_id)
        await self.resources.agent()
        self._provisioned = True
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
        handler = MeasuredSocketModeHandler(self.app, app_token=self.settings.slack_app_token, metrics=self.metrics)
        self.handler = handler
        await asyncio.wait_for(handler.connect_async(), connect_timeout)
        log.info("connected to Slack; incidents go to %s", self.settings.oncall_channel)

    async def stop(self, *, grace: float = 0.0) -> None:
        """Drain within `grace` seconds: stop taking envelopes (Slack sends new ones to other connections), finish
        the work and the Slack writes already started, release what this replica holds, then disconnect. Sessions
        go on in the cloud; whichever replica follows next picks them up."""
        deadline = Deadline(grace)
        keep = min(CLOSING_RESERVE, grace / 4)
        self._draining = True
        if self.handler is not None:
            handler, self.handler = self.handler, None
            await deadline.step("closing the Socket Mode connection", handler.close_async(), keep=keep)
        if self.webhooks is not None:
            webhooks, self.webhooks = self.webhooks, None
            await deadline.step("stopping the webhook server", webhooks.stop(), keep=keep)
        await self.tasks.close(grace=deadline.left(keep=keep))  # openings, clicks, replies already acked
        await self.incidents.stop_all(flush_within=deadline.left(keep=keep))  # the publishers' started writes
        await self.releases.run(deadline)
        await self.prs.aclose()
        await self.providers.aclose()
        if self.health is not None:
            await self.health.stop()
            self.health = None
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
    metrics = BotMetrics()
    if slack is not None and slack.retry_handlers is not None:
        slack.retry_handlers.insert(0, SlackCallCounter(metrics))
    slack = slack or slack_client(settings, metrics)
    anthropic = anthropic or anthropic_client(settings)
    app = AsyncApp(client=slack, request_verification_enabled=False, ignoring_self_events_enabled=True)
    pacer = ChannelPacer(settings.slack_posts_per_second)
    identity: Once[SlackIdentity] = Once(lambda: learn_identity(slack))
    providers = configured(settings)  # the evidence sources: closed by Bot.stop()
    resources = SessionResources(anthropic, settings, providers=providers)
    registry, tasks, audit = IncidentRegistry(), BackgroundTasks(), AuditLog(settings.audit_log)
    prs = pull_request_store(settings)
    factory = RunFactory(settings=settings, slack=slack, anthropic=anthropic, pacer=pacer, identity=identity,
                         resources=resources, prs=prs, audit=audit, tools=tool_handlers(github=providers.github),
                         metrics=metrics)  # fmt: skip
    opener = IncidentOpener(channel=settings.oncall_channel, anthropic=anthropic, resources=resources, factory=factory,
                            registry=registry, gather=gather_alert_graph)  # fmt: skip
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
        intake=intake, tasks=tasks, prs=prs, clicks=clicks, providers=providers, metrics=metrics,
    )  # fmt: skip
