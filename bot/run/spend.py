"""What the incident has cost at list price (the session's `session.usage` snapshots) against its budget, and the
plain words the thread says when the ceiling stopped the agent."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.run.state import IncidentState, ThreadItem
from bot.words import ItemKind

__all__ = ["dollars", "on_usage", "spend_line", "with_budget_notice"]


def _cents(money: Any) -> int | None:
    """Whole cents of a BetaMonetaryAmount in USD (the only currency the API prices), else None."""
    if money is None or getattr(money, "currency", None) != "USD":
        return None
    raw = str(getattr(money, "amount", ""))
    return int(raw) if raw.isascii() and raw.isdigit() else None


def dollars(cents: int) -> str:
    """$1,234.56."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def on_usage(state: IncidentState, ev: Any) -> IncidentState:
    """Fold a `session.usage` snapshot: the list cost so far and the session's budget."""
    spent = _cents(getattr(ev.usage, "list_cost", None))
    budget = _cents(ev.budget.max_list_cost) if getattr(ev, "budget", None) is not None else None
    return replace(state, spent_cents=spent if spent is not None else state.spent_cents,
                   budget_cents=budget if budget is not None else state.budget_cents)  # fmt: skip


def spend_line(state: IncidentState) -> str:
    """"$0.42 of $25.00", "$0.42" without a budget, "" while nothing is known."""
    if state.spent_cents is None:
        return ""
    if state.budget_cents is None:
        return dollars(state.spent_cents)
    return f"{dollars(state.spent_cents)} of {dollars(state.budget_cents)}"


def with_budget_notice(state: IncidentState, ev: Any) -> IncidentState:
    """The thread says plainly that the spend ceiling stopped the agent (once per idle event)."""
    ceiling = f"its spend ceiling of {dollars(state.budget_cents)}" if state.budget_cents is not None else \
        "its spend ceiling"
    spent = f" ({dollars(state.spent_cents)} spent at list price)" if state.spent_cents is not None else ""
    text = (f":money_with_wings: The agent stopped: this incident reached {ceiling}{spent}, so it makes no more "
            "model requests. Take it from here by hand, or raise SESSION_BUDGET_USD for the next incidents.")
    key = f"budget:{ev.id}"
    if any(item.key == key for item in state.items):
        return state
    return replace(state, items=state.items + (ThreadItem(key=key, kind=ItemKind.NOTICE, text=text),))
