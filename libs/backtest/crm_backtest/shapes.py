"""What the checker compares: the parts of an API answer the oracle predicts, in its shapes.

One place for them, so a customer's card and the account's lists are read the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from crm_backtest.clock import iso, parse


def pipeline_shown(customer: dict[str, Any]) -> dict[str, Any]:
    """A customer as `GET /api/customers/{id}` or the list shows it."""
    return {
        "status": customer.get("status"),
        "booking": (customer.get("booking") or {}).get("state"),
        "joined_team": customer.get("joined_team"),
        "opted_out": customer.get("opted_out"),
    }


def reminders_shown(reminders: Iterable[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    return Counter((r["type"], iso(parse(r["scheduled_for"])), r["status"]) for r in reminders)


def nba_shown(recommendation: dict[str, Any]) -> dict[str, Any]:
    due = recommendation.get("due_at")
    return {
        "action": recommendation.get("action"),
        "priority": recommendation.get("priority"),
        "due_at": iso(parse(due)) if due else None,
    }


def card_shown(customer: dict[str, Any]) -> dict[str, Any]:
    """The card's contact data, consent and last activity, as the oracle writes them (an
    empty consent is no consent)."""
    active = customer.get("last_activity_at")
    return {
        "email": customer.get("email"),
        "phone": customer.get("phone"),
        "handles": customer.get("handles") or {},
        "name": customer.get("name"),
        "consent": customer.get("consent") or None,
        "last_activity_at": iso(parse(active)) if active else None,
    }


def card_compared(shown: Any, wanted: dict[str, Any]) -> Any:
    """The fields of a card the oracle predicts (a failed read as it came)."""
    if not isinstance(shown, dict) or "http_status" in shown:
        return shown
    return {key: shown.get(key) for key in wanted}
