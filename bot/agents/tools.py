"""The custom tools the bot answers itself: incident data, and pull requests behind the human gate."""

from __future__ import annotations

import json
import logging
from typing import Any, NamedTuple

from blocks.views import Outcome
from bot.agents.diff_review import DiffReview, refusal_text, review_diff
from bot.agents.evidence import Evidence
from bot.agents.pull_requests import GitError, PullRequestStore
from bot.run.state import IncidentState, ToolCall
from bot.run.values import pr_number, shown
from bot.words import ToolName

__all__ = ["ToolAnswer", "IncidentTools"]

log = logging.getLogger(__name__)


class ToolAnswer(NamedTuple):
    text: str
    is_error: bool = False


def _ok(value: Any) -> ToolAnswer:
    return ToolAnswer(json.dumps(value, separators=(",", ":")))


def _error(message: str) -> ToolAnswer:
    return ToolAnswer(json.dumps({"error": message}), is_error=True)


def _bad_pr_number(tool: str, value: object) -> ToolAnswer:
    return _error(f"{tool}: pr_number must be the number open_pull_request returned (a whole number such as 1), "
                  f"not {shown(value)}")  # fmt: skip


class IncidentTools:
    """Answers one incident's custom tool calls. request_approval is answered by a person, not here."""

    def __init__(self, *, evidence: Evidence, prs: PullRequestStore, session_id: str) -> None:
        self.evidence = evidence
        self.prs = prs
        self.session_id = session_id

    async def answer(self, call: ToolCall, state: IncidentState) -> ToolAnswer | None:
        """The result for a custom tool call, or None when a human must answer it (request_approval)."""
        args = dict(call.input)
        if call.unreadable:
            return _error(f"the bot could not read this {call.name} call (its input is not plain JSON or is nested "
                          f"too deep); call {call.name} again with simple values")  # fmt: skip
        match call.name:
            case ToolName.GET_METRICS:
                return self._metrics(str(args.get("service", "")), str(args.get("metric", "")))
            case ToolName.GET_RECENT_DEPLOYS:
                return _ok({"deploys": self.evidence.deploys()})
            case ToolName.GET_DIFF:
                diff = self.evidence.diff_for(str(args.get("commit", "")))
                if diff is None:
                    return _error(f"no diff known for commit {args.get('commit')!r}")
                return _ok({"commit": args.get("commit"), "diff": diff})
            case ToolName.OPEN_PULL_REQUEST:
                return await self._open_pr(call)
            case ToolName.MERGE_PULL_REQUEST:
                number = pr_number(args.get("pr_number"))
                if number is None:
                    return _bad_pr_number(ToolName.MERGE_PULL_REQUEST, args.get("pr_number"))
                return await self._merge(number, state)
            case ToolName.REQUEST_APPROVAL:
                return self._check_approval_request(call, state)
            case _:
                return _error(f"unknown tool {call.name!r}")

    def _metrics(self, service: str, metric: str) -> ToolAnswer:
        metrics = self.evidence.metrics()
        if service not in metrics:
            return _error(f"no metrics for service {service!r}; known services: {sorted(metrics)}")
        series = metrics[service]
        if metric not in series:
            return _error(f"no metric {metric!r} for {service}; known metrics: {sorted(series)}")
        return _ok({"service": service, "metric": metric, "points": series[metric]})

    async def _open_pr(self, call: ToolCall) -> ToolAnswer:
        title, body, diff = (str(call.input.get(k, "")) for k in ("title", "body", "diff"))
        if not title.strip() or not diff.strip():
            return _error("open_pull_request needs a title and a non-empty unified diff")
        try:
            review = await review_diff(diff, call_outs=False)  # refused before anything is opened
            if review.refusals:
                return _error(refusal_text(review))
            await self.prs.ensure_repo(self.session_id, self.evidence.repo_dir)
            pr = await self.prs.open(self.session_id, title=title, body=body, diff=diff, tool_use_id=call.id)
        except GitError as exc:
            if "apply" in str(exc).lower():
                return _error(f"the diff does not apply to the repository: {exc}")
            return _error(f"could not open the pull request: {exc}")
        try:  # the store can know more than the text: e.g. that a file the diff patches is a link
            held = await review_diff(pr.diff)
        except GitError as exc:
            held = DiffReview((f"the bot could not read the diff back from the PR store ({exc})",), ())
        if held.refusals:  # left out of the state: it can be neither approved nor merged here
            return _error(refusal_text(held, opened=pr.number))
        # The card shows the store's diff (what a merge brings in) and its call-outs; in the session's history they
        # survive a restart, and diff_sha256 is the hash of exactly that text.
        return _ok({"pr_number": pr.number, "url": pr.url, "diff_sha256": pr.diff_sha256, "diff": pr.diff,
                    "review_notes": list(held.notes)})

    def _check_approval_request(self, call: ToolCall, state: IncidentState) -> ToolAnswer | None:
        requested = call.input.get("pr_number")
        if requested is None:
            if state.latest_pr is None:
                return _error(
                    "no pull request to approve: call open_pull_request first, then request_approval with its pr_number"
                )
            number: int | None = state.latest_pr.number
        else:
            number = pr_number(requested)
            if number is None:
                return _bad_pr_number(ToolName.REQUEST_APPROVAL, requested)
        if number not in state.prs:
            return _error(f"there is no pull request #{number} in this incident")
        if not state.prs[number].diff_read:  # opened before the bot kept the store's diff: nothing to show
            return _error(f"PR #{number}'s diff cannot be shown as the PR store holds it; open the pull request again")
        return None

    async def _merge(self, number: int, state: IncidentState) -> ToolAnswer:
        if number not in state.prs:
            return _error(f"there is no pull request #{number} in this incident")
        approval = state.approval_for(number)
        if approval is None or approval.decision is None or approval.decision.outcome != Outcome.APPROVED:
            outcome = approval.decision.outcome if approval and approval.decision else "no decision"
            return _error(
                f"refused: PR #{number} has not been approved by a human ({outcome}). "
                "Call request_approval and merge only after the decision is approved."
            )
        try:
            info = await self.prs.info(self.session_id, number)
            merged = info is not None and await self.prs.is_merged(self.session_id, number)
        except GitError as exc:
            return _error(f"could not read pull request #{number}: {exc}")
        if info is None:
            return _error(f"pull request #{number} no longer exists")
        if merged:
            return _ok({"merged": True, "pr_number": number, "already_merged": True})
        if info.diff_sha256 != approval.diff_sha256:
            return _error(
                f"refused: PR #{number} changed since it was approved (approved diff "
                f"{approval.diff_sha256[:12]}, now {info.diff_sha256[:12]}); request approval again"
            )
        try:
            head = await self.prs.merge(self.session_id, number, head_sha=info.head_sha)
        except GitError as exc:
            return _error(f"merge failed: {exc}")
        return _ok({"merged": True, "pr_number": number, "commit": head})
