"""Opening an incident: the root message first (its record in the metadata), then the session, created with its first
user.message (initial_events) and its spend ceiling (budget), then the run.

A crash before the session is created leaves a root message with no session, which a restart finishes (recovery.py);
the first message travels with the creation, so no crash falls between creating the session and starting it. A
session that could not be created marks its root message failed, and is not tried again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from anthropic import AsyncAnthropic

from blocks.views import IncidentStatus
from bot.incidents.briefing import OpeningEvidence, OpeningEvidenceHook, alert_section, first_message, gather_nothing
from bot.incidents.briefing import mount_correction
from bot.incidents.factory import RunFactory, with_record
from bot.incidents.registry import IncidentRegistry
from bot.incidents.resources import SessionResources
from bot.metadata import OPENING_CHARS, RootRecord, SessionMetadata, session_title
from bot.run.incident import IncidentRun, SlackThread
from bot.run.renderer import render_root
from bot.run.state import IncidentState

__all__ = ["IncidentOpener"]

log = logging.getLogger(__name__)

GATHER_TIMEOUT = 20.0  # seconds the opening evidence may take before the session starts without it


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentOpener:
    """Opens incidents in the on-call channel and starts following their sessions."""

    channel: str
    anthropic: AsyncAnthropic
    resources: SessionResources
    factory: RunFactory
    registry: IncidentRegistry
    gather: OpeningEvidenceHook = field(default=gather_nothing)  # what the agent gets at once besides the alert

    async def open(
        self,
        *,
        title: str,
        text: str,
        opened_by: str | None,
        source: str,
        alert: dict[str, Any] | None = None,
        dedupe_key: str = "",
        alert_url: str = "",
        graph_url: str = "",
    ) -> IncidentRun:
        """Post the root message, create the session (metadata = the Slack thread), and start following it."""
        started = datetime.now(timezone.utc)
        opening = alert_section(text=text, source=source, opened_by=opened_by, alert=alert)
        kept = alert_section(text=text, source=source, opened_by=opened_by, alert=alert, max_chars=OPENING_CHARS)
        record = RootRecord.fit(title=title, opened_by=opened_by or "", source=source, opening=kept,
                                dedupe_key=dedupe_key, alert_url=alert_url, graph_url=graph_url)  # fmt: skip
        state = with_record(IncidentState(session_id="", title=title, started_at=started, opened_by=opened_by,
                                          source=source), record)  # fmt: skip
        publisher = await self.factory.start_thread(self.channel, render_root(state), record=record)
        thread = SlackThread(channel=self.channel, ts=publisher.thread_ts)
        return await self.start_session(thread, record, started=started, opening=opening, alert=alert)

    async def start_session(self, thread: SlackThread, record: RootRecord, *, started: datetime, opening: str = "",
                            alert: Mapping[str, Any] | None = None) -> IncidentRun:  # fmt: skip
        """Create the session, with its first message, for a posted root message and follow it (also used to finish
        an interrupted open, from the record: `opening` and `alert` are what the record keeps, or more)."""
        opened_by = record.opened_by or None
        state = with_record(IncidentState(session_id="", title=record.title, started_at=started, opened_by=opened_by,
                                          source=record.source), record)  # fmt: skip
        try:
            evidence = await self.resources.evidence()
            agent = await self.resources.agent()
            files = await self.resources.files()
            metadata = SessionMetadata.fit(
                slack_channel=thread.channel, slack_thread_ts=thread.ts,
                incident_id=evidence.incident_id if evidence else "", incident_title=record.title,
                opened_by=record.opened_by, source=record.source,
            )  # fmt: skip
            message = first_message(opening=opening or record.opening, tool_names=self.resources.providers.tool_names,
                                    resources=files, evidence=await self._gather(alert))
            budget = self.resources.budget()
            session = await self.anthropic.beta.sessions.create(
                agent=agent.agent_id,
                environment_id=agent.environment_id,
                title=session_title(record.title),
                resources=files,
                metadata=metadata.dump(),
                initial_events=[{"type": "user.message", "content": [{"type": "text", "text": message}]}],
                **({"budget": budget} if budget is not None else {}),
            )
        except Exception as exc:
            log.exception("could not open a session for %r", record.title)
            detail = f"could not start the investigation: {type(exc).__name__}: {exc}"[:500]
            await self._show_failed(thread, record, replace(state, status=IncidentStatus.FAILED, status_detail=detail))
            raise
        run = await self.factory.build(replace(state, session_id=session.id), thread, record=record)
        self.registry.add(run)
        run.publish()
        run.start()
        log.info("opened incident %r: session %s, thread %s", record.title, session.id, thread.ts)
        actual = [{"type": r.type, "mount_path": r.mount_path, "url": getattr(r, "url", "")} for r in session.resources
                  if r.type in ("file", "github_repository")]  # fmt: skip
        correction = mount_correction(files, actual)
        if correction is not None:
            try:
                await run.relay(correction)
            except Exception:  # the agent still has the first message's paths; the incident goes on
                log.exception("could not tell the agent where its files really are (session %s)", session.id)
        return run

    async def _gather(self, alert: Mapping[str, Any] | None) -> OpeningEvidence:
        """The opening evidence; gathering it never stops (nor long delays) an incident's opening."""
        try:
            return await asyncio.wait_for(self.gather(alert, self.resources.providers), GATHER_TIMEOUT)
        except Exception:
            log.exception("could not gather the opening evidence; the agent starts without it")
            return OpeningEvidence()

    async def _show_failed(self, thread: SlackThread, record: RootRecord, failed: IncidentState) -> None:
        """The root message says the opening failed, and its record says so too (a restart does not retry it)."""
        publisher = await self.factory.publisher(thread, record=record.model_copy(update={"failed": True}))
        try:
            publisher.submit(render_root(failed), ())
            await publisher.flush()
        finally:
            await publisher.close()
