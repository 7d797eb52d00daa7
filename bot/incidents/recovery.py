"""After a restart: follow our live sessions again, finish interrupted openings, and wake sessions on webhooks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from anthropic import APIError, AsyncAnthropic
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.identity import SlackIdentity
from bot.incidents.factory import RunFactory
from bot.incidents.opener import IncidentOpener
from bot.incidents.registry import IncidentRegistry
from bot.incidents.resources import Once, SessionResources
from bot.metadata import ROOT_KEY, MessageMetadata, RootRecord, SessionMetadata
from bot.run.incident import IncidentRun, SlackThread
from bot.run.state import IncidentState

__all__ = ["LIVE_STATUSES", "Recovery"]

log = logging.getLogger(__name__)

LIVE_STATUSES = ["idle", "running", "rescheduling"]
ORPHAN_WINDOW = 24 * 3600.0  # how far back a restart looks for incidents whose opening was interrupted


@dataclass(frozen=True, kw_only=True, slots=True)
class Recovery:
    """Finds what a previous process left: the sessions it followed and the openings it did not finish."""

    channel: str
    slack: AsyncWebClient
    anthropic: AsyncAnthropic
    identity: Once[SlackIdentity]
    resources: SessionResources
    registry: IncidentRegistry
    factory: RunFactory
    opener: IncidentOpener

    async def resume_all(self) -> list[IncidentRun]:
        """After a start: follow our live sessions again, and finish opening incidents a crash interrupted."""
        agent = await self.resources.agent()
        resumed = []
        known_threads: set[tuple[str, str]] = set()
        async for session in self.anthropic.beta.sessions.list(agent_id=agent.agent_id, statuses=LIVE_STATUSES):
            meta = SessionMetadata.parse(session.metadata)
            if meta is None:
                continue
            known_threads.add((meta.slack_channel, meta.slack_thread_ts))
            if meta.incident_closed or self.registry.find(session.id) is not None:
                continue
            resumed.append(await self._resume(session, meta))
        for thread, record, started in await self._orphan_roots(known_threads, own=await self.identity.get()):
            log.warning("finishing an incident whose opening was interrupted (thread %s)", thread.ts)
            resumed.append(await self.opener.start_session(thread, record, started=started))
        return resumed

    async def wake(self, session_id: str, event_type: str) -> None:
        """A Managed Agents webhook says a session needs us: make sure something follows it."""
        run = self.registry.find(session_id)
        if run is not None:
            if not run.following:
                log.info("webhook %s woke %s; following it again", event_type, session_id)
                run.start()
            return
        try:
            session = await self.anthropic.beta.sessions.retrieve(session_id)
        except APIError as exc:
            log.warning("webhook named session %s, which could not be read: %s", session_id, exc)
            return
        meta = SessionMetadata.parse(session.metadata)
        if meta is not None:
            log.info("webhook %s woke %s, which nothing followed", event_type, session_id)
            await self._resume(session, meta)

    async def _resume(self, session: Any, meta: SessionMetadata) -> IncidentRun:
        """Follow one of our sessions again, rebuilding its state from its metadata, history and thread."""
        state = IncidentState(
            session_id=session.id,
            title=meta.incident_title or session.title or "Incident",
            started_at=session.created_at,
            opened_by=meta.opened_by or None,
            source=meta.source or "slash command",
            stopped_by=meta.stopped_by or None,
        )
        thread = SlackThread(channel=meta.slack_channel, ts=meta.slack_thread_ts)
        run = await self.factory.build(state, thread)  # the record comes from the root message
        self.registry.add(run)
        run.start()  # its first message went with its creation (initial_events): nothing to send again
        log.info("resumed incident %s (thread %s)", session.id, thread.ts)
        return run

    async def _orphan_roots(
        self, known: set[tuple[str, str]], *, own: SlackIdentity
    ) -> list[tuple[SlackThread, RootRecord, datetime]]:
        """Root messages we posted whose session was never created (the bot died in between); never another app's."""
        channel = self.channel
        oldest = f"{datetime.now(timezone.utc).timestamp() - ORPHAN_WINDOW:.6f}"
        try:
            resp = await self.slack.conversations_history(
                channel=channel, oldest=oldest, limit=200, include_all_metadata=True
            )
        except SlackApiError as exc:
            log.warning("could not look for interrupted incidents in %s: %s", channel, exc.response.get("error"))
            return []
        found = []
        for msg in resp.get("messages", []):
            meta = MessageMetadata.parse(msg)
            if meta is None or meta.key != ROOT_KEY or meta.record is None:
                continue
            record = meta.record
            if meta.session_id or record.failed or not record.opening or (channel, msg["ts"]) in known:
                continue
            if not own.wrote(msg):
                log.warning("not adopting %s in %s: the bot did not post that root message", msg["ts"], channel)
                continue
            started = datetime.fromtimestamp(float(msg["ts"]), timezone.utc)
            found.append((SlackThread(channel, msg["ts"]), record, started))
        return found
