"""After a restart: follow our live sessions again, finish interrupted openings, and wake sessions on webhooks."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from anthropic import APIError
from slack_sdk.errors import SlackApiError

from bot.identity import SlackIdentity
from bot.incidents import LIVE_STATUSES, IncidentManager
from bot.run.incident import IncidentRun, SlackThread
from bot.run.publisher import METADATA_EVENT_TYPE
from bot.run.state import IncidentState

__all__ = ["resume_all", "resume_session", "wake"]

log = logging.getLogger(__name__)

ORPHAN_WINDOW = 24 * 3600.0  # how far back a restart looks for incidents whose opening was interrupted


async def resume_all(manager: IncidentManager) -> list[IncidentRun]:
    """After a start: follow our live sessions again, and finish opening incidents a crash interrupted."""
    agent = await manager.provisioned()
    resumed = []
    known_threads: set[tuple[str, str]] = set()
    async for session in manager.anthropic.beta.sessions.list(agent_id=agent.agent_id, statuses=LIVE_STATUSES):
        meta = session.metadata or {}
        if meta.get("incident_bot") != "1" or not meta.get("slack_channel") or not meta.get("slack_thread_ts"):
            continue
        known_threads.add((meta["slack_channel"], meta["slack_thread_ts"]))
        if meta.get("incident_closed") == "1" or session.id in manager.runs:
            continue
        resumed.append(await resume_session(manager, session))
    for thread, record, started in await _orphan_roots(manager, known_threads, own=await manager.identity()):
        log.warning("finishing an incident whose opening was interrupted (thread %s)", thread.ts)
        resumed.append(await manager.start_session(thread, record, started=started))
    return resumed


async def resume_session(manager: IncidentManager, session: Any) -> IncidentRun:
    """Follow one of our sessions again, rebuilding its state from its metadata, history and thread."""
    meta = session.metadata or {}
    state = IncidentState(
        session_id=session.id,
        title=meta.get("incident_title") or session.title or "Incident",
        started_at=session.created_at,
        opened_by=meta.get("opened_by") or None,
        source=meta.get("source") or "slash command",
        stopped_by=meta.get("stopped_by") or None,
    )
    thread = SlackThread(channel=meta["slack_channel"], ts=meta["slack_thread_ts"])
    run = manager.new_run(state, thread, await manager.evidence(), {}, own=await manager.identity())
    await run.publisher.load()
    run.root_record = run.publisher.root_payload
    # If a crash came between creating the session and sending its first message, send it now.
    run.start(first_message=run.root_record.get("opening") or None)
    log.info("resumed incident %s (thread %s)", session.id, thread.ts)
    return run


async def wake(manager: IncidentManager, session_id: str, event_type: str) -> None:
    """A Managed Agents webhook says a session needs us: make sure something follows it."""
    run = manager.runs.get(session_id)
    if run is not None:
        if not run.following:
            log.info("webhook %s woke %s; following it again", event_type, session_id)
            run.start()
        return
    try:
        session = await manager.anthropic.beta.sessions.retrieve(session_id)
    except APIError as exc:
        log.warning("webhook named session %s, which could not be read: %s", session_id, exc)
        return
    meta = session.metadata or {}
    if meta.get("incident_bot") == "1" and meta.get("slack_channel") and meta.get("slack_thread_ts"):
        log.info("webhook %s woke %s, which nothing followed", event_type, session_id)
        await resume_session(manager, session)


async def _orphan_roots(
    manager: IncidentManager, known: set[tuple[str, str]], *, own: SlackIdentity
) -> list[tuple[SlackThread, dict[str, str], datetime]]:
    """Root messages we posted whose session was never created (the bot died in between); never another app's."""
    channel = manager.settings.oncall_channel
    oldest = f"{datetime.now(timezone.utc).timestamp() - ORPHAN_WINDOW:.6f}"
    try:
        resp = await manager.slack.conversations_history(
            channel=channel, oldest=oldest, limit=200, include_all_metadata=True
        )
    except SlackApiError as exc:
        log.warning("could not look for interrupted incidents in %s: %s", channel, exc.response.get("error"))
        return []
    found = []
    for msg in resp.get("messages", []):
        meta = msg.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") != METADATA_EVENT_TYPE or payload.get("key") != "root":
            continue
        if payload.get("session_id") or payload.get("failed") or (channel, msg["ts"]) in known or not payload.get("opening"):
            continue
        if not own.wrote(msg):
            log.warning("not adopting %s in %s: the bot did not post that root message", msg["ts"], channel)
            continue
        started = datetime.fromtimestamp(float(msg["ts"]), timezone.utc)
        found.append((SlackThread(channel, msg["ts"]), {k: str(v) for k, v in payload.items()}, started))
    return found
