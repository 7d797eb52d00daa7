"""The pull request tools: open one (after the diff review), check an approval request, merge only what was approved."""

from __future__ import annotations

from blocks.views import Outcome
from bot.prs.base import GitError
from bot.prs.patching import DiffDoesNotApply
from bot.prs.review import DiffReview, refusal_text, review_diff
from bot.run.state import IncidentState, ToolCall
from bot.run.values import approval_pr, pr_number
from bot.tools.base import ToolAnswer, ToolContext, ToolHandler, bad_pr_number, error, ok
from bot.words import ToolName

__all__ = ["PR_TOOLS", "merge_pull_request", "open_pull_request", "request_approval"]


async def open_pull_request(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """Open a PR with the agent's diff, unless the diff cannot be reviewed in Slack; the answer carries its diff."""
    title, body, diff = (str(call.input.get(k, "")) for k in ("title", "body", "diff"))
    if not title.strip() or not diff.strip():
        return error("open_pull_request needs a title and a non-empty unified diff")
    try:
        review = await review_diff(diff, call_outs=False)  # refused before anything is opened
        if review.refusals:
            return error(refusal_text(review))
        await tools.prs.ensure_repo(tools.session_id, tools.evidence.repo_dir if tools.evidence else None)
        pr = await tools.prs.open(tools.session_id, title=title, body=body, diff=diff, tool_use_id=call.id)
    except DiffDoesNotApply as exc:
        return error(f"the diff does not apply to the repository: {exc}")
    except GitError as exc:
        if "apply" in str(exc).lower():
            return error(f"the diff does not apply to the repository: {exc}")
        return error(f"could not open the pull request: {exc}")
    try:  # the store can know more than the text: e.g. that a file the diff patches is a link
        held = await review_diff(pr.diff)
    except GitError as exc:
        held = DiffReview((f"the bot could not read the diff back from the PR store ({exc})",), ())
    if held.refusals:  # left out of the state: it can be neither approved nor merged here
        return error(refusal_text(held, opened=pr.number))
    # The card shows the store's diff (what a merge brings in) and its call-outs; in the session's history they
    # survive a restart, and diff_sha256 is the hash of exactly that text.
    return ok({"pr_number": pr.number, "url": pr.url, "diff_sha256": pr.diff_sha256, "diff": pr.diff,
               "review_notes": list(held.notes)})


async def request_approval(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer | None:
    """None when a person can be asked (the approval card answers); an error when there is nothing to approve."""
    requested = call.input.get("pr_number")
    if requested is not None and pr_number(requested) is None:
        return bad_pr_number(ToolName.REQUEST_APPROVAL, requested)
    asked = state.approvals.get(call.id)  # what its card shows: the reducer read the call once
    number = asked.pr_number if asked else approval_pr(call.input, state.latest_pr.number if state.latest_pr else None)
    if number is None:  # an action, not a PR: the summary is all the approver has to go on
        if not str(call.input.get("summary", "")).strip():
            return error("request_approval without a pull request asks approval of the action its summary describes: "
                         "give a summary saying exactly what you will do, where, and how to undo it")  # fmt: skip
        return None
    if number not in state.prs:
        return error(f"there is no pull request #{number} in this incident")
    if not state.prs[number].diff_read:  # opened before the bot kept the store's diff: nothing to show
        return error(f"PR #{number}'s diff cannot be shown as the PR store holds it; open the pull request again")
    return None


async def merge_pull_request(tools: ToolContext, call: ToolCall, state: IncidentState) -> ToolAnswer:
    """Merge a PR a person approved, only if its diff is still the approved one."""
    number = pr_number(call.input.get("pr_number"))
    if number is None:
        return bad_pr_number(ToolName.MERGE_PULL_REQUEST, call.input.get("pr_number"))
    if number not in state.prs:
        return error(f"there is no pull request #{number} in this incident")
    approval = state.approval_for(number)
    if approval is None or approval.decision is None or approval.decision.outcome != Outcome.APPROVED:
        outcome = approval.decision.outcome if approval and approval.decision else "no decision"
        return error(
            f"refused: PR #{number} has not been approved by a human ({outcome}). "
            "Call request_approval and merge only after the decision is approved."
        )
    try:
        info = await tools.prs.info(tools.session_id, number)
        merged = info is not None and await tools.prs.is_merged(tools.session_id, number)
    except GitError as exc:
        return error(f"could not read pull request #{number}: {exc}")
    if info is None:
        return error(f"pull request #{number} no longer exists")
    if merged:
        return ok({"merged": True, "pr_number": number, "already_merged": True})
    if info.diff_sha256 != approval.diff_sha256:
        return error(
            f"refused: PR #{number} changed since it was approved (approved diff "
            f"{approval.diff_sha256[:12]}, now {info.diff_sha256[:12]}); request approval again"
        )
    try:
        head = await tools.prs.merge(tools.session_id, number, head_sha=info.head_sha)
    except GitError as exc:
        return error(f"merge failed: {exc}")
    return ok({"merged": True, "pr_number": number, "commit": head})


PR_TOOLS: dict[str, ToolHandler] = {
    ToolName.OPEN_PULL_REQUEST: open_pull_request,
    ToolName.REQUEST_APPROVAL: request_approval,
    ToolName.MERGE_PULL_REQUEST: merge_pull_request,
}
