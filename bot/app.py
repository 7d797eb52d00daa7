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
from bot.incidents import IncidentManager
from bot.intake import open_from_alert
from bot.recovery import resume_all, wake
from bot.listeners import actions, commands, home, messages
from bot.settings import Settings
from bot.slack_retry import RetryAfterHandler
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
    manager: IncidentManager
    clicks: ClickRouter
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
        identity = await self.manager.identity()  # a bad bot token fails here, not at the first incident
        log.info("Slack bot user %s (bot %s) in team %s", identity.user_id, identity.bot_id, identity.team_id)
        await self.manager.provisioned()
        if resume:
            resumed = await resume_all(self.manager)
            if resumed:
                log.info("resumed %d incident(s)", len(resumed))
        if self.settings.webhook_port is not None:
            manager = self.manager
            self.webhooks = WebhookServer(
                self.settings,
                on_alert=lambda alert: _spawned(manager, open_from_alert(manager, alert, channel=None, ts=None, person=None)),
                on_session_event=lambda sid, kind: _spawned(manager, wake(manager, sid, kind)),
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
        await self.manager.close()
        if self._http is not None:
            await self._http.close()
            self.slack.session = self._http = None


async def _spawned(manager: IncidentManager, coro) -> None:  # type: ignore[no-untyped-def]
    """Webhook callbacks answer the sender at once; the work runs in a task the manager holds."""
    manager.spawn(coro, name="webhook")


def build_bot(
    settings: Settings, *, slack: AsyncWebClient | None = None, anthropic: AsyncAnthropic | None = None
) -> Bot:
    """Wire the Bolt app and its listeners from settings."""
    slack = slack or slack_client(settings)
    anthropic = anthropic or anthropic_client(settings)
    app = AsyncApp(client=slack, request_verification_enabled=False, ignoring_self_events_enabled=True)
    manager = IncidentManager(settings=settings, slack=slack, anthropic=anthropic)
    approvers = Approvers(slack, users=settings.approver_users, groups=settings.approver_groups)

    def gate_of(session_id: str) -> ApprovalGate | None:
        run = manager.find(session_id)
        return run.gate if run is not None else None

    clicks = ClickRouter(approvers, gate_of)
    commands.register(app, manager)
    actions.register(app, manager, clicks)
    messages.register(app, manager)
    home.register(app, manager, approvers)
    return Bot(settings, app, slack, anthropic, manager, clicks)
