"""The fix's way out: open a PR, ask a human, merge only on approval; everything remembered for follow-ups."""

from __future__ import annotations

from typing import Any

from standins.managed_agents import investigator_evidence as ev
from standins.managed_agents.investigator_evidence import Context, Finding
from standins.managed_agents.investigator_patch import unified_diff


def pr_body(finding: Finding) -> str:
    """The PR description: the diagnosis, the evidence and the runbook it follows."""
    lines = [finding.root_cause, "", *(f"- {note}" for note in finding.notes), "",
             f"Runbook followed: {finding.runbook}",
             "", "Opened by the offline rule-based investigator of the local stand-in (not Claude)."]
    return "\n".join(lines)


async def propose(ctx: Context, finding: Finding, memory: dict[str, Any]) -> None:
    """Open the PR for finding, request approval, and merge it only if a human approved."""
    diff = unified_diff(finding.repo_path, finding.old_text, finding.new_text)
    opened = await ctx.call_tool("open_pull_request", {"title": finding.title, "body": pr_body(finding), "diff": diff})
    if opened.is_error:
        memory["pr_state"] = f"not opened ({opened.text})"
        await ctx.say(f"open_pull_request failed: {opened.text}. I stop here; nothing was changed.")
        return
    pr = ev.tool_json(opened)
    number = pr.get("pr_number") if isinstance(pr, dict) else None
    memory.update(pr_number=number, pr_url=pr.get("url", "") if isinstance(pr, dict) else "", pr_state="open")
    await ctx.say(f"Opened PR #{number}: {memory['pr_url']}\n{finding.title}")

    answer = await ctx.call_tool("request_approval", {"summary": finding.summary, "pr_number": number})
    verdict = ev.tool_json(answer)
    decision = verdict.get("decision") if isinstance(verdict, dict) and not answer.is_error else None
    if decision == "approved":
        await _merge(ctx, number, verdict.get("approver", "someone"), memory)
    elif decision == "rejected":
        reason = verdict.get("reason") or ""
        memory["pr_state"] = f"rejected by {verdict.get('approver', 'someone')}" + (f": {reason}" if reason else "")
        quoted = f' Reason given: "{reason}".' if reason else " No reason was given."
        await ctx.say(f"PR #{number} was rejected by {verdict.get('approver', 'someone')}.{quoted} "
                      "I will not merge it; I stop here.")
    else:
        memory["pr_state"] = "open, approval not obtained"
        await ctx.say(f"request_approval did not come back with a decision ({answer.text}); I will not merge.")


async def _merge(ctx: Context, number: Any, approver: str, memory: dict[str, Any]) -> None:
    """Merge an approved PR and report what the bot answered."""
    merged = await ctx.call_tool("merge_pull_request", {"pr_number": number})
    result = ev.tool_json(merged)
    if merged.is_error or not (isinstance(result, dict) and result.get("merged")):
        memory["pr_state"] = f"approved by {approver}, merge refused ({merged.text})"
        await ctx.say(f"PR #{number} was approved by {approver}, but the merge was refused: {merged.text}")
        return
    memory["pr_state"] = f"merged (approved by {approver})"
    await ctx.say(f"PR #{number} was approved by {approver} and is merged. Watch the service's metrics settle.")
