"""The human gate: a click becomes exactly one decision, from an approver, on the incident it names."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from anthropic import APIError

from blocks.ids import ButtonValue
from bot.agents.sending import send_once
from bot.tools.base import ToolAnswer
from bot.approvers import Approvers
from bot.incidents.registry import IncidentRegistry
from bot.run.incident import IncidentRun

__all__ = ["Click", "Decisions"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Click:
    """Who clicked what, and where."""

    user_id: str
    value: ButtonValue
    channel: str
    message_ts: str
    thread_ts: str | None = None


class Decisions:
    """Checks a click and sends its decision to the session. Returns None on success, else why it was refused."""

    def __init__(self, registry: IncidentRegistry, approvers: Approvers, *, self_deny: bool = False) -> None:
        self.registry = registry
        self.approvers = approvers
        self.self_deny = self_deny

    async def _check(self, click: Click, kind: str) -> tuple[IncidentRun | None, str | None]:
        if not await self.approvers.allows(click.user_id):
            return None, f"Only approvers can decide this ({self.approvers.describe()}). Nothing was sent."
        run = self.registry.find(click.value.session_id)
        if run is None:
            return None, "This button belongs to an incident this bot is not following (unknown or finished)."
        try:  # just after a restart, judge the click against the whole history, not half of it
            await run.wait_live(timeout=30)
        except TimeoutError:
            return None, "The incident's history could not be read yet; try again in a moment. Nothing was sent."
        in_thread = click.channel == run.thread.channel and (
            click.thread_ts == run.thread.ts or click.message_ts == run.publisher.ts_of(f"{kind}:{click.value.tool_use_id}")
        )
        if not in_thread:
            log.warning("click for %s from outside its thread (%s %s)", run.session_id, click.channel, click.message_ts)
            return None, "This button does not belong to this incident's thread. Nothing was sent."
        return run, None

    async def approval(self, click: Click, *, approved: bool, reason: str = "") -> str | None:
        """Decide a request_approval call."""
        run, refusal = await self._check(click, "approval")
        if run is None:
            return refusal
        tool_id = click.value.tool_use_id
        async with run.decision_lock:
            approval = run.state.approvals.get(tool_id)
            call = run.state.tools.get(tool_id)
            if approval is None or call is None:
                log.warning("click names unknown approval %s in %s", tool_id, run.session_id)
                return "This approval request is unknown to the incident. Nothing was sent."
            if call.answered or approval.decision is not None or tool_id in run.decided:
                d = approval.decision
                by = d.by if d else run.decided.get(tool_id)
                who = f" by <@{by}>" if by else ""
                return f"Already decided{who}: {d.outcome if d else 'answered'}. Nothing was sent."
            if approval.note or run.state.finished:
                return "The session has ended; this approval can no longer be decided."
            if approved and self.self_deny and click.user_id == run.state.opened_by:
                return "Two-person rule: whoever opened the incident cannot approve its fix. Ask another approver."
            sha = ""
            if approval.pr_number is not None:
                info = await run.tools.prs.info(run.session_id, approval.pr_number)
                if info is None:
                    return f"PR #{approval.pr_number} does not exist any more. Nothing was sent."
                sha = info.diff_sha256
                if approved and click.value.diff_sha256 and sha != click.value.diff_sha256:
                    return (
                        f"PR #{approval.pr_number} changed since this card was posted; its diff is not the one "
                        "shown. Reject it, or ask the agent to request approval again."
                    )
                shown = run.state.prs.get(approval.pr_number)
                if approved and (shown is None or not shown.diff_read or shown.diff_sha256 != sha):
                    # e.g. a card posted by a bot version that did not keep the store's diff, clicked after an upgrade
                    return (
                        f"PR #{approval.pr_number}'s diff as the PR store holds it is not the one this thread shows. "
                        "Reject it, or ask the agent to open the pull request again. Nothing was sent."
                    )
            result = {
                "decision": "approved" if approved else "rejected",
                "approver": click.user_id,
                "reason": reason,
                "pr_number": approval.pr_number,
                "diff_sha256": sha,
                "decided_at": datetime.now(timezone.utc).isoformat(),
            }
            delivered = await run.send_result(tool_id, ToolAnswer(json.dumps(result)))
            run.decided[tool_id] = click.user_id
            if not delivered:
                return "Someone else decided first. Nothing more was sent."
            run.log.info("approval %s: %s by %s", tool_id, result["decision"], click.user_id)
            await run.record(
                str(result["decision"]), who=click.user_id, tool_use_id=tool_id, pr_number=approval.pr_number,
                diff_sha256=sha or None, outcome=reason,
            )  # fmt: skip
            return None

    async def confirmation(self, click: Click, *, allow: bool, reason: str = "") -> str | None:
        """Allow or deny a built-in tool call the platform holds for confirmation."""
        run, refusal = await self._check(click, "confirmation")
        if run is None:
            return refusal
        tool_id = click.value.tool_use_id
        async with run.decision_lock:
            conf = run.state.confirmations.get(tool_id)
            if conf is None:
                return "This confirmation request is unknown to the incident. Nothing was sent."
            if conf.result is not None or tool_id in run.decided:
                return f"Already decided: {'allowed' if conf.result == 'allow' else 'denied'}. Nothing was sent."
            if conf.note or run.state.finished:
                return "The session has ended; this tool call can no longer be decided."
            event: dict = {"type": "user.tool_confirmation", "tool_use_id": tool_id, "result": "allow" if allow else "deny"}
            if not allow:
                event["deny_message"] = f"[{click.user_id}] {reason or 'denied by an on-call approver'}"
            delivered = await send_once(
                run.client, run.session_id, event, answered_key=("tool_use_id", tool_id)
            )
            run.decided[tool_id] = click.user_id
            if not delivered:
                return "Someone else decided first. Nothing more was sent."
            await run.apply({"type": "bot.confirmation_decided", "tool_use_id": tool_id, "by": click.user_id})
            await run.record("allowed" if allow else "denied", who=click.user_id, tool_use_id=tool_id, outcome=reason)
            return None

    async def stop(self, click: Click) -> str | None:
        """Interrupt the agent: user.interrupt, pending cards cancelled, who stopped it recorded."""
        if not await self.approvers.allows(click.user_id):
            return f"Only approvers can stop the agent ({self.approvers.describe()}). Nothing was sent."
        run = self.registry.find(click.value.session_id)
        if run is None or click.channel != run.thread.channel or click.message_ts != run.thread.ts:
            return "This Stop button does not belong to an incident this bot is following. Nothing was sent."
        async with run.decision_lock:
            if run.state.stopped_by is not None or not run.state.stoppable:
                return "The agent is not running any more; there is nothing to stop."
            try:  # so that a restarted bot still knows who stopped it
                await run.client.beta.sessions.update(run.session_id, metadata={"stopped_by": click.user_id})
            except APIError as exc:
                run.log.warning("could not record who stopped the session: %s", exc)
            await run.client.beta.sessions.events.send(run.session_id, events=[{"type": "user.interrupt"}])
            await run.apply({"type": "bot.stop_requested", "by": click.user_id})
            await run.record("stopped", who=click.user_id)
            run.log.info("stopped by %s", click.user_id)
            return None
