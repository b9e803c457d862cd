"""Analyzing a posted history: what the policy gives for it at an instant; nothing is stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from crm_nba.policy.projection import project
from crm_nba.policy.transitions import Assessment, assess
from crm_nba.schemas import HistoryEvent
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.settings_store import settings_history


async def assess_history(
    conn: Conn,
    history: Sequence[HistoryEvent],
    customer_id: UUID | None,
    account: Account,
    as_of: datetime,
) -> Assessment:
    """The assessment of one customer's posted history at `as_of`, under the account's
    settings history; a history that is not about exactly one customer, or holds an event its
    name does not allow, is 422."""
    customer = _history_customer(history, customer_id)
    events = [
        _as_envelope(event, index, account.account_id, customer)
        for index, event in enumerate(history)
    ]
    return assess(project(customer, events), as_of, await settings_history(conn, account))


def _history_customer(history: Sequence[HistoryEvent], given: UUID | None) -> UUID:
    named = {e.customer_id for e in history if e.customer_id is not None}
    if given is not None:
        named.add(given)
    if len(named) != 1:
        problem = "names several customers" if named else "names no customer"
        raise Unprocessable(
            f"The history {problem}; it must be about one customer.",
            errors=[FieldError(("body", "customer_id"), f"the history {problem}")],
        )
    return named.pop()


def _as_envelope(event: HistoryEvent, index: int, account_id: str, customer: UUID) -> EventEnvelope:
    if event.customer_id is not None and event.customer_id != customer:
        raise Unprocessable(
            "Every event of a history must be about the same customer.",
            errors=[FieldError(("body", "history", index, "customer_id"), "another customer")],
        )
    try:
        return EventEnvelope(
            event_name=event.event_name,
            event_id=event.event_id,
            timestamp=event.timestamp,
            account_id=account_id,
            customer_id=customer,
            source=event.source or Source.MANUAL,
            properties=event.properties,
            consent=event.consent,
            received_at=event.timestamp,
            producer="analyze",
        )
    except ValidationError as exc:
        raise Unprocessable(
            f"History event {index} is not valid for {event.event_name}.",
            errors=[
                FieldError(("body", "history", index, *err["loc"]), err["msg"])
                for err in exc.errors()
            ],
        ) from None
