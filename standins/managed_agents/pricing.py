"""A session's spend at list price and its budget, as the SDK's types describe them (`BetaManagedAgentsBudgetLimit`,
`BetaMonetaryAmount`: minor units as an integer string with no leading zeros, USD only; `model_not_budgetable` for a
model without a public list price; `session.usage` snapshots carrying `list_cost`)."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .errors import invalid
from .validate import check_keys

__all__ = ["ListPrice", "amount", "check_budget", "list_price"]

# US dollars per million tokens (input, output) by model family, the public list prices; cache reads cost a tenth
# of input and cache writes (5 minutes) 1.25 times input.
_PRICES = {"claude-opus": (5, 25), "claude-sonnet": (3, 15), "claude-haiku": (1, 5)}
_AMOUNT = re.compile(r"0|[1-9]\d{0,11}")


class ListPrice:
    """What a model's requests cost at list price, in cents."""

    def __init__(self, input_per_million: int, output_per_million: int) -> None:
        self._in = Fraction(input_per_million * 100, 1_000_000)
        self._out = Fraction(output_per_million * 100, 1_000_000)

    def cents(self, usage: dict[str, int]) -> Fraction:
        """The list cost of one model request's usage, in cents."""
        return (self._in * usage["input_tokens"] + self._out * usage["output_tokens"]
                + self._in * Fraction(1, 10) * usage["cache_read_input_tokens"]
                + self._in * Fraction(5, 4) * usage["cache_creation_input_tokens"])  # fmt: skip


def list_price(model: dict[str, Any]) -> ListPrice | None:
    """The model's list price, or None when it has none (it cannot run under a budget)."""
    model_id = str(model.get("id", ""))
    prices = next((p for family, p in _PRICES.items() if model_id.startswith(family)), None)
    return ListPrice(*prices) if prices else None


def amount(cents: Fraction | int) -> dict[str, str]:
    """A BetaMonetaryAmount: whole cents (rounded down, so a ceiling fires at or before the charge), USD."""
    return {"amount": str(int(cents)), "currency": "USD"}


def check_budget(value: object, model: dict[str, Any]) -> dict[str, Any] | None:
    """sessions.create's `budget` as stored (None: uncapped); 400 on a malformed one or an unpriced model."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") != "limit":
        raise invalid("budget.type: expected 'limit'")
    check_keys(value, ("type", "max_list_cost"), "budget")
    cost = value.get("max_list_cost")
    if not isinstance(cost, dict):
        raise invalid("budget.max_list_cost: expected an object with amount and currency")
    check_keys(cost, ("amount", "currency"), "budget.max_list_cost")
    if not isinstance(cost.get("amount"), str) or not _AMOUNT.fullmatch(cost["amount"]):
        raise invalid("budget.max_list_cost.amount: minor units as an integer string with no leading zeros, e.g. "
                      "'2500' for $25.00")  # fmt: skip
    if cost.get("currency") != "USD":
        raise invalid("budget.max_list_cost.currency: USD is the only currency supported")
    if list_price(model) is None:
        raise invalid(f"budget: model_not_budgetable: {model.get('id')} has no public list price, so the session "
                      "cannot be budgeted; remove the budget")  # fmt: skip
    return {"type": "limit", "max_list_cost": {"amount": cost["amount"], "currency": "USD"}}
