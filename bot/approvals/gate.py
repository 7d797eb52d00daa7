"""The approval gate: one incident's human decisions, their deadlines, and every answer the bot sends to the agent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Protocol

from anthropic import APIError, AsyncAnthropic

from blocks.ids import ActionId
from blocks.views import Outcome
from bot.prs.base import PullRequestStore
from bot.agents.sending import send_once
from bot.tools.base import ToolAnswer
from bot.approvals.clicks import Click
from bot.approvals.expiry import ApprovalPolicy, expired, reminder, sleep_until
from bot.approvals.result import ApprovalResult
from bot.approvals.stopping import SETTLE_SECONDS, call_refused, denial, pending_after_stop, stopped_approval
from bot.run.events import ConfirmationDecided, LocalEvent, StopRequested
from bot.run.state import IncidentState
from bot.run.values import pr_number
from bot.words import AuditAction, ItemKind, ToolName, Verdict

__all__ = ["ApprovalGate", "GatedIncident"]

log = logging.getLogger(__name__)

Decide = Callable[[Click, IncidentState], Awaitable[str | None]]


class GatedIncident(Protocol):
    """What the gate needs of the incident it belongs to (an IncidentRun)."""

    @property
    def state(self) -> IncidentState: ...

    async def apply(self, event: LocalEvent) -> None: ...

    async def record(
        self,
        action: str,
        *,
        who: str | None,
        tool_use_id: str | None = None,
        pr_number: int | None = None,
        diff_sha256: str | None = None,
        outcome: str = "",
    ) -> None: ...

    async def wait_live(self, timeout: float | None = None) -> None: ...

    async def settle(self, timeout: float) -> None: ...


class SlackPlace(Protocol):
    """The incident's thread: its channel and root message."""

    @property
    def channel(self) -> str: ...

    @property
    def ts(self) -> str: ...


class ApprovalGate:
    """Belongs to one incident: decides its approvals and held tool calls (one decision at a time, so the first click
    wins), rejects approvals nobody decided in time, stops the agent, and sends each tool answer exactly once.

    The incident run attaches itself when it is built; a click has been checked against APPROVERS before it gets here.
    """

    def __init__(
        self,
        *,
        client: AsyncAnthropic,
        session_id: str,
        thread: SlackPlace,
        card_ts: Callable[[str], str | None],
        prs: PullRequestStore,
        policy: ApprovalPolicy | None = None,
    ) -> None:
        self._client = client
        self._session_id = session_id
        self._thread = thread
        self._card_ts = card_ts  # the ts of the thread message with this publisher key
        self._prs = prs
        self.policy = policy or ApprovalPolicy()
        self._lock = asyncio.Lock()
        self._decided: dict[str, tuple[str | None, str]] = {}  # tool-use id -> who decided and how, until the echo
        self._incident: GatedIncident | None = None
        self.log = logging.LoggerAdapter(log, {"session": session_id})

    def attach(self, incident: GatedIncident) -> None:
        """Bind the gate to the incident it belongs to (the run does, once, as it is built)."""
        self._incident = incident

    @property
    def _run(self) -> GatedIncident:
        if self._incident is None:
            raise RuntimeError("this approval gate belongs to no incident (attach() was never called)")
        return self._incident

    async def answer(self, call_id: str, answer: ToolAnswer) -> bool:
        """Send a custom tool result exactly once; False if the call was already answered."""
        event = {
            "type": "user.custom_tool_result",
            "custom_tool_use_id": call_id,
            "content": [{"type": "text", "text": answer.text}],
            "is_error": answer.is_error,
        }
        return await send_once(self._client, self._session_id, event, answered_key=("custom_tool_use_id", call_id))

    async def _check(self, click: Click, kind: ItemKind) -> str | None:
        """Why a click on a card cannot be judged here, if it cannot."""
        try:  # just after a restart, judge the click against the whole history, not half of it
            await self._run.wait_live(timeout=30)
        except TimeoutError:
            return "The incident's history could not be read yet; try again in a moment. Nothing was sent."
        thread = self._thread
        in_thread = click.channel == thread.channel and (
            click.thread_ts == thread.ts or click.message_ts == self._card_ts(f"{kind}:{click.value.tool_use_id}")
        )
        if not in_thread:
            self.log.warning("click from outside its thread (%s %s)", click.channel, click.message_ts)
            return "This button does not belong to this incident's thread. Nothing was sent."
        return None

    def _pending(self, tool_id: str) -> bool:
        pending = self._run.state.pending_approvals()
        return tool_id not in self._decided and any(a.tool_use_id == tool_id for a in pending)

    async def approve(self, click: Click) -> str | None:
        """Decide a request_approval call (Approve or Reject); None when sent, else why nothing was."""
        return await self._check(click, ItemKind.APPROVAL) or await self._locked(self._approve, click)

    async def confirm(self, click: Click) -> str | None:
        """Allow or deny a built-in tool call the platform holds for confirmation."""
        return await self._check(click, ItemKind.CONFIRMATION) or await self._locked(self._confirm, click)

    async def _locked(self, decide: Decide, click: Click) -> str | None:
        async with self._lock:  # one decision at a time, judged against the state as it is now: the first click wins
            return await decide(click, self._run.state)

    async def _approve(self, click: Click, state: IncidentState) -> str | None:
        approved, tool_id, reason = click.action is ActionId.APPROVE, click.value.tool_use_id, click.reason
        approval, call = state.approvals.get(tool_id), state.tools.get(tool_id)
        if approval is None or call is None:
            log.warning("click names unknown approval %s in %s", tool_id, self._session_id)
            return "This approval request is unknown to the incident. Nothing was sent."
        if (d := approval.decision) is not None or call.answered or tool_id in self._decided:
            by, outcome = (d.by, str(d.outcome)) if d else self._decided.get(tool_id, (None, "answered"))
            who = f" by <@{by}>" if by else ""
            return f"Already decided{who}: {outcome}. Nothing was sent."
        if not self._pending(tool_id):
            return "The session has ended; this approval can no longer be decided."
        if approved and self.policy.self_deny and click.user_id == state.opened_by:
            return "Two-person rule: whoever opened the incident cannot approve its fix. Ask another approver."
        sha = ""
        if approval.pr_number is not None:
            info = await self._prs.info(self._session_id, approval.pr_number)
            if info is None:
                return f"PR #{approval.pr_number} does not exist any more. Nothing was sent."
            sha = info.diff_sha256
            if approved and click.value.diff_sha256 and sha != click.value.diff_sha256:
                return (
                    f"PR #{approval.pr_number} changed since this card was posted; its diff is not the one "
                    "shown. Reject it, or ask the agent to request approval again."
                )
            shown = state.prs.get(approval.pr_number)
            if approved and (shown is None or not shown.diff_read or shown.diff_sha256 != sha):
                # e.g. a card posted by a bot version that did not keep the store's diff, clicked after an upgrade
                return (
                    f"PR #{approval.pr_number}'s diff as the PR store holds it is not the one this thread shows. "
                    "Reject it, or ask the agent to open the pull request again. Nothing was sent."
                )
        result = ApprovalResult.now(approved=approved, approver=click.user_id, reason=reason,
                                    pr=approval.pr_number, diff_sha256=sha)  # fmt: skip
        delivered = await self.answer(tool_id, ToolAnswer(result.dump()))
        self._decided[tool_id] = (click.user_id, result.outcome)
        if not delivered:
            return "Someone else decided first. Nothing more was sent."
        self.log.info("approval %s: %s by %s", tool_id, result.decision, click.user_id)
        await self._run.record(result.decision, who=click.user_id, tool_use_id=tool_id,
                               pr_number=approval.pr_number, diff_sha256=sha or None, outcome=reason)  # fmt: skip
        return None

    async def _confirm(self, click: Click, state: IncidentState) -> str | None:
        allow, tool_id, reason = click.action is ActionId.ALLOW, click.value.tool_use_id, click.reason
        conf = state.confirmations.get(tool_id)
        if conf is None:
            return "This confirmation request is unknown to the incident. Nothing was sent."
        decided = conf.outcome or (self._decided[tool_id][1] if tool_id in self._decided else None)  # before the echo
        if decided is not None:
            return f"Already decided: {decided}. Nothing was sent."
        if not any(c.tool_use_id == tool_id for c in state.pending_confirmations()):
            return "The session has ended; this tool call can no longer be decided."
        outcome = Outcome.ALLOWED if allow else Outcome.DENIED
        event: dict = {"type": "user.tool_confirmation", "tool_use_id": tool_id,
                       "result": Verdict.ALLOW if allow else Verdict.DENY}  # fmt: skip
        if not allow:
            event["deny_message"] = f"[{click.user_id}] {reason or 'denied by an on-call approver'}"
        delivered = await send_once(self._client, self._session_id, event, answered_key=("tool_use_id", tool_id))
        self._decided[tool_id] = (click.user_id, outcome)
        if not delivered:
            return "Someone else decided first. Nothing more was sent."
        await self._run.apply(ConfirmationDecided(tool_use_id=tool_id, by=click.user_id))
        await self._run.record(outcome, who=click.user_id, tool_use_id=tool_id, outcome=reason)
        return None

    async def stop(self, click: Click) -> str | None:
        """Stop the agent: who stopped it recorded, pending cards closed, everything the agent waits on answered
        (approvals rejected, held tool calls denied, other calls refused), then user.interrupt."""
        if click.channel != self._thread.channel or click.message_ts != self._thread.ts:
            return "This Stop button does not belong to an incident this bot is following. Nothing was sent."
        async with self._lock:
            state = self._run.state
            if state.stopped_by is not None or not state.stoppable:
                return "The agent is not running any more; there is nothing to stop."
            try:  # so that a restarted bot still knows who stopped it
                await self._client.beta.sessions.update(self._session_id, metadata={"stopped_by": click.user_id})
            except APIError as exc:
                self.log.warning("could not record who stopped the session: %s", exc)
            await self._run.apply(StopRequested(by=click.user_id))
            await self._run.record(AuditAction.STOPPED, who=click.user_id)
            self.log.info("stopped by %s", click.user_id)
            await self._wind_down(interrupt=True)
            return None

    def owes_stop_answers(self) -> bool:
        """A stopped incident has calls it has still to answer (made after the stop, or left by a restart)."""
        return any(pending_after_stop(self._run.state, set(self._decided)))

    async def enforce_stop(self) -> None:
        """Answer what a stopped agent waits on, then interrupt it again (it went on: an interrupt that reached it
        idle may have been ignored)."""
        async with self._lock:
            await self._wind_down(interrupt=False)

    async def _wind_down(self, *, interrupt: bool) -> None:
        """Answer every call the stopped agent waits on, exactly once, then user.interrupt: an interrupt sent to a
        session idle on requires_action might be ignored, and the incident would wait forever."""
        await self._run.settle(SETTLE_SECONDS)  # the bot's own answers in progress (a merge) finish first
        state = self._run.state
        by = state.stopped_by or ""
        calls, held = pending_after_stop(state, set(self._decided))
        for call in calls:
            approval = call.name == ToolName.REQUEST_APPROVAL
            result = stopped_approval(state.approvals.get(call.id), by) if approval else None
            answer = ToolAnswer(result.dump()) if result else call_refused(call, by)
            delivered = await self.answer(call.id, answer)
            self._decided[call.id] = (by, Outcome.REJECTED)
            if delivered and result is not None:
                await self._run.record(Outcome.REJECTED, who=by, tool_use_id=call.id, pr_number=result.pr_number,
                                       outcome=result.reason)  # fmt: skip
            elif delivered and call.name == ToolName.MERGE_PULL_REQUEST:
                await self._run.record(AuditAction.MERGE_REFUSED, who=by, tool_use_id=call.id,
                                       pr_number=pr_number(call.input.get("pr_number")), outcome=answer.text[:500])
        for conf in held:
            event = denial(conf, by)
            delivered = await send_once(self._client, self._session_id, event,
                                        answered_key=("tool_use_id", conf.tool_use_id))
            self._decided[conf.tool_use_id] = (by, Outcome.DENIED)
            if delivered:
                await self._run.apply(ConfirmationDecided(tool_use_id=conf.tool_use_id, by=by))
                await self._run.record(Outcome.DENIED, who=by, tool_use_id=conf.tool_use_id, outcome="stopped")
        if interrupt or calls or held:
            await self._client.beta.sessions.events.send(self._session_id, events=[{"type": "user.interrupt"}])

    async def watch(self, tool_id: str) -> None:
        """Timers for one pending approval, counted from when the agent asked (so a restart keeps the clock): remind
        the approvers, then answer "rejected" if nobody decided."""
        run = self._run
        asked = run.state.tools[tool_id].at or datetime.now(timezone.utc)
        remind_at = self.policy.remind_at(asked)
        if remind_at is not None:
            await sleep_until(remind_at)
            if not self._pending(tool_id):
                return
            await run.apply(reminder(run.state.approvals[tool_id], self.policy))
        await sleep_until(self.policy.expires_at(asked))
        async with self._lock:
            if not self._pending(tool_id):
                return
            approval = run.state.approvals[tool_id]
            result = expired(approval, self.policy)
            self._decided[tool_id] = (None, Outcome.EXPIRED)
            await self.answer(tool_id, ToolAnswer(result.dump()))
            await run.record(Outcome.EXPIRED, who=None, tool_use_id=tool_id, pr_number=approval.pr_number,
                             outcome=result.reason)  # fmt: skip
            self.log.info("approval %s expired: %s", tool_id, result.reason)
