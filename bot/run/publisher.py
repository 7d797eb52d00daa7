"""The publisher: the only writer to Slack for an incident thread. Ordered, coalesced, paced, restart-safe.

What Slack refuses for good does not hold the thread up: a message whose layout is refused is shown as plain text,
anything else refused is skipped (logged and audited) and the thread goes on; a public channel the bot is not in is
joined once; a channel that refuses the thread is left alone for a while. Anything else is tried again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.message import Message
from blocks.plain import without_buttons
from bot.audit import AuditLog
from bot.identity import SlackIdentity
from bot.metadata import EVENT_TYPE, ROOT_KEY, MessageMetadata, RootRecord
from bot.run.pacing import ChannelPacer
from bot.run.refusals import ThreadRefusals, refusal
from bot.run.renderer import Rendered

__all__ = ["ThreadPublisher", "digest", "reply"]

log = logging.getLogger(__name__)


def digest(message: Message, file: tuple[str, str] | None = None) -> str:
    """A short fingerprint of what a message shows, kept in its metadata so a restart re-sends nothing."""
    payload = json.dumps([message.text, message.blocks, file], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


async def reply(client: AsyncWebClient, pacer: ChannelPacer, *, channel: str, thread_ts: str, text: str) -> None:
    """A one-off plain reply under a message outside the incident threads (the note under an alert), paced like
    every other write; a failure is logged, not raised (the incident goes on without it)."""
    await pacer.wait(channel)
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, unfurl_links=False)
    except SlackApiError as exc:
        log.warning("could not reply under %s in %s: %s", thread_ts, channel, exc.response.get("error"))


@dataclass(slots=True)
class _Posted:
    ts: str
    digest: str


class ThreadPublisher:
    """Makes one incident's root message and thread show what the renderer says, whatever happened before."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel: str,
        thread_ts: str,
        session_id: str,
        pacer: ChannelPacer,
        own: SlackIdentity,
        root_record: RootRecord | None = None,
        audit: AuditLog | None = None,
        on_shown: Callable[[Sequence[float]], None] | None = None,
    ) -> None:
        self._client = client
        self._own = own  # only messages and files it made count as shown (anyone can post metadata or pr-1.diff)
        self.channel = channel
        self.thread_ts = thread_ts
        self.session_id = session_id
        self._pacer = pacer
        self.root_record = root_record  # kept in the root message's metadata; read back by load() when None
        self._posted: dict[str, _Posted] = {ROOT_KEY: _Posted(thread_ts, "")}  # the root's ts is the thread's
        self._fingerprints: dict[str, tuple[Message, str]] = {}  # key -> last message seen and its digest
        self._files: dict[str, str] = {}  # key -> the name of the file shown under it
        self._desired: tuple[Message | None, Sequence[Rendered]] | None = None
        self._dirty = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._log = logging.LoggerAdapter(log, {"session": session_id})
        self._on_shown = on_shown  # told the arrival times of the events each round of writes showed (metrics)
        self._arrivals: list[float] = []
        self._writes = 0
        self._refusals = ThreadRefusals(client, channel=channel, audit=audit, log=self._log, incident=lambda: (
            self.root_record.title if self.root_record else "", self.session_id))

    @classmethod
    async def start_thread(
        cls,
        client: AsyncWebClient,
        *,
        channel: str,
        pacer: ChannelPacer,
        own: SlackIdentity,
        root: Message,
        record: RootRecord,
        audit: AuditLog | None = None,
    ) -> ThreadPublisher:
        """Post an incident's root message, its record in the metadata, and return the publisher of its thread.

        Posted once, outside the retrying loop (a post retried after a lost answer could leave two roots), with no
        session and no digest: the run's first publish rewrites it with both. A refusal is raised: no thread."""
        publisher = cls(client, channel=channel, thread_ts="", session_id="", pacer=pacer, own=own,
                        root_record=record, audit=audit)  # fmt: skip
        await pacer.wait(channel)
        meta = MessageMetadata(key=ROOT_KEY, record=record).dump()
        try:
            resp = await publisher._refusals.send(client.chat_postMessage, ROOT_KEY, root, update=False,
                                                  channel=channel, metadata=meta)  # fmt: skip
        except SlackApiError as exc:
            if refusal(exc) is not None:
                publisher._refusals.say(ROOT_KEY, exc)
            raise
        publisher.thread_ts = str(resp["ts"])
        publisher._posted = {ROOT_KEY: _Posted(publisher.thread_ts, "")}
        return publisher

    @property
    def posted_keys(self) -> frozenset[str]:
        return frozenset(self._posted)

    def ts_of(self, key: str) -> str | None:
        """The ts of the message shown under a key, if it was posted."""
        posted = self._posted.get(key)
        return posted.ts if posted else None

    async def load(self) -> None:
        """Learn from the thread itself which keys are already shown (after a restart, nothing is re-sent)."""
        cursor = None
        found: dict[str, _Posted] = {}
        while True:
            resp = await self._refusals.call(
                self._client.conversations_replies,
                channel=self.channel, ts=self.thread_ts, include_all_metadata=True, limit=200, cursor=cursor,
            )  # fmt: skip
            for msg in resp.get("messages", []):
                meta = MessageMetadata.parse(msg)
                if meta is not None and self._ours(msg):
                    found[meta.key] = _Posted(msg["ts"], meta.digest)
                    if meta.key == ROOT_KEY and msg["ts"] == self.thread_ts and self.root_record is None:
                        self.root_record = meta.record
                for f in msg.get("files") or []:
                    name = str(f.get("name") or f.get("title") or "")
                    if name.startswith("pr-") and name.endswith(".diff") and self._own.uploaded(f, msg):
                        found[f"diff:{name[3:-5]}"] = _Posted(msg["ts"], "file")
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        found.setdefault(ROOT_KEY, _Posted(self.thread_ts, ""))
        self._posted = found

    def _ours(self, msg: dict) -> bool:
        """Whether the bot posted this message carrying our metadata (another app's copy is logged and ignored)."""
        if self._own.wrote(msg):
            return True
        self._log.warning("ignoring %s metadata on %s, which the bot did not post", EVENT_TYPE, msg.get("ts"))
        return False

    def submit(self, root: Message | None, items: Sequence[Rendered], *, arrived: float | None = None) -> None:
        """Ask for the thread to show this; only the latest submission matters (coalescing). `arrived`: when the
        event this shows came in (time.monotonic()), for the event-to-Slack latency."""
        if arrived is not None and self._on_shown is not None:
            self._arrivals.append(arrived)
        self._desired = (root, items)
        self._idle.clear()
        self._dirty.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"publisher:{self.session_id}")

    async def flush(self, timeout: float | None = None) -> None:
        """Wait until everything submitted so far is shown in Slack (or refused by it for good)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        backoff = 1.0
        while self._dirty.is_set():
            self._dirty.clear()
            root, items = self._desired or (None, ())
            arrivals, self._arrivals, writes = self._arrivals, [], self._writes
            try:
                await self._apply(root, items)
                backoff = 1.0
                if arrivals and self._writes > writes and self._on_shown is not None:
                    self._on_shown(arrivals)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("publishing to %s failed; retrying in %.0fs", self.channel, backoff)
                self._arrivals[:0] = arrivals
                self._dirty.set()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                await self._reload_quietly()
        self._idle.set()

    async def _reload_quietly(self) -> None:
        try:
            await self.load()
        except Exception:
            self._log.warning("could not re-read thread %s", self.thread_ts, exc_info=True)

    async def _apply(self, root: Message | None, items: Sequence[Rendered]) -> None:
        if root is not None:
            await self._show(Rendered(ROOT_KEY, root))
        seen: set[str] = set()
        self._files.update((i.key, i.file[0]) for i in items if i.file is not None)
        for item in items:
            if item.key in seen:
                continue
            seen.add(item.key)
            await self._show(item)

    def _metadata(self, key: str, fingerprint: str) -> dict:
        record = self.root_record if key == ROOT_KEY else None
        return MessageMetadata(key=key, digest=fingerprint, session_id=self.session_id, record=record).dump()

    def _fingerprint(self, key: str, item: Rendered) -> str:
        # The renderer hands back the same Message object for an unchanged item: hash it once, not on every event.
        if item.file is not None:
            return digest(item.message, item.file)
        if key == ROOT_KEY and self.root_record is not None:  # a change of what the root keeps is written too
            return digest(item.message, ("record", json.dumps(self.root_record.dump(), sort_keys=True)))
        seen = self._fingerprints.get(key)
        if seen is not None and seen[0] is item.message:
            return seen[1]
        value = digest(item.message)
        self._fingerprints[key] = (item.message, value)
        return value

    def _shown_form(self, item: Rendered) -> tuple[Message, str] | None:
        """What to show for an item and its fingerprint: without its buttons while what it requires was refused;
        None while what it requires is not in the thread for another reason."""
        fingerprint = self._fingerprint(item.key, item)
        if not item.requires or item.requires in self._posted:
            return item.message, fingerprint
        error = self._refusals.skipped.get(item.requires)
        if error is None:
            return None
        name = self._files.get(item.requires, item.requires)
        note = f":no_entry: Slack would not take {name} ({error}), which has to be in this thread first: no buttons."
        shown = without_buttons(item.message, note=note)
        return shown, digest(shown)

    async def _show(self, item: Rendered) -> None:
        key, posted = item.key, self._posted.get(item.key)
        form = self._shown_form(item)
        if form is None or key in self._refusals.skipped or self._refusals.closed():
            return
        message, fingerprint = form
        if posted is not None and (posted.digest == fingerprint or item.file is not None):
            return
        await self._pacer.wait(self.channel)
        self._writes += 1
        try:
            await self._write(item, message, fingerprint, posted)
        except SlackApiError as exc:
            if refusal(exc) is None:
                raise
            await self._refusals.skip(key, exc)

    async def _write(self, item: Rendered, message: Message, fingerprint: str, posted: _Posted | None) -> None:
        key = item.key
        if item.file is not None:
            name, content = item.file
            await self._refusals.call(self._client.files_upload_v2, channel=self.channel, thread_ts=self.thread_ts,
                                      filename=name, title=name, content=content)  # fmt: skip
            self._posted[key] = _Posted(self.thread_ts, "file")
            return
        meta = self._metadata(key, fingerprint)
        if posted is not None:
            await self._refusals.send(self._client.chat_update, key, message, update=True, channel=self.channel,
                                      ts=posted.ts, metadata=meta)  # fmt: skip
            posted.digest = fingerprint
            return
        resp = await self._refusals.send(
            self._client.chat_postMessage, key, message, update=False, channel=self.channel, thread_ts=self.thread_ts,
            reply_broadcast=item.broadcast or None, metadata=meta, unfurl_links=False, unfurl_media=False,
        )  # fmt: skip
        self._posted[key] = _Posted(str(resp["ts"]), fingerprint)
