"""Building an incident run with every collaborator it needs, its thread's publisher loaded from Slack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from anthropic import AsyncAnthropic
from slack_sdk.web.async_client import AsyncWebClient

from blocks.message import Message
from bot.approvals.expiry import ApprovalPolicy
from bot.approvals.gate import ApprovalGate
from bot.audit import AuditLog
from bot.identity import SlackIdentity
from bot.incidents.resources import Once, SessionResources
from bot.metadata import RootRecord
from bot.ops.metrics import BotMetrics
from bot.prs.base import PullRequestStore
from bot.run.incident import IncidentRun, SlackThread
from bot.run.pacing import ChannelPacer
from bot.run.publisher import ThreadPublisher
from bot.run.state import IncidentState
from bot.settings import Settings
from bot.tools.answers import TOOLS, IncidentTools
from bot.tools.base import ToolHandler

__all__ = ["RunFactory", "with_record"]


def with_record(state: IncidentState, record: RootRecord) -> IncidentState:
    """The state with what the root record keeps of the alert: its links, and whether it resolved upstream."""
    return replace(state, links=record.links(), resolved_upstream_at=record.resolved_time())


@dataclass(frozen=True, kw_only=True, slots=True)
class RunFactory:
    """Makes thread publishers and incident runs; the one place that knows what a run is made of."""

    settings: Settings
    slack: AsyncWebClient
    anthropic: AsyncAnthropic
    pacer: ChannelPacer
    identity: Once[SlackIdentity]
    resources: SessionResources
    prs: PullRequestStore
    audit: AuditLog
    tools: Mapping[str, ToolHandler] = field(default_factory=lambda: TOOLS)  # the custom tools' handlers by name
    metrics: BotMetrics | None = None

    async def start_thread(self, channel: str, root: Message, *, record: RootRecord) -> ThreadPublisher:
        """Post a new incident's root message (the record in its metadata); the publisher of its thread."""
        own = await self.identity.get()
        return await ThreadPublisher.start_thread(
            self.slack, channel=channel, pacer=self.pacer, own=own, root=root, record=record, audit=self.audit
        )

    async def publisher(
        self, thread: SlackThread, *, record: RootRecord | None, session_id: str = ""
    ) -> ThreadPublisher:
        """The publisher of an incident thread whose root message is posted (it has not read the thread yet)."""
        own = await self.identity.get()
        return ThreadPublisher(
            self.slack, channel=thread.channel, thread_ts=thread.ts, session_id=session_id, pacer=self.pacer, own=own,
            root_record=record, audit=self.audit, on_shown=self.metrics.shown if self.metrics is not None else None,
        )  # fmt: skip

    async def build(
        self, state: IncidentState, thread: SlackThread, *, record: RootRecord | None = None
    ) -> IncidentRun:
        """A run for a session, its publisher loaded from the thread; without a record, the root message's is used."""
        publisher = await self.publisher(thread, record=record, session_id=state.session_id)
        await publisher.load()
        if publisher.root_record is not None:  # what the root keeps of the alert: its links, resolved upstream
            state = with_record(state, publisher.root_record)
        evidence = await self.resources.evidence()
        policy = ApprovalPolicy(
            remind_after=self.settings.approval_remind_after,
            timeout=self.settings.approval_timeout,
            mentions=self.settings.approvers,
            self_deny=self.settings.approval_self_deny,
        )
        gate = ApprovalGate(client=self.anthropic, session_id=state.session_id, thread=thread, card_ts=publisher.ts_of,
                            prs=self.prs, policy=policy)  # fmt: skip
        return IncidentRun(
            client=self.anthropic,
            state=state,
            thread=thread,
            tools=IncidentTools(evidence=evidence, prs=self.prs, session_id=state.session_id,
                                providers=self.resources.providers, handlers=self.tools),
            publisher=publisher,
            console_url=self.settings.console_url,
            gate=gate,
            root_record=publisher.root_record,
            audit=self.audit,
            metrics=self.metrics,
            stream_read_timeout=self.settings.stream_read_timeout,
        )
