"""A person's booking terms reach the NBA: the customers service announces a PUT of Booked,
No-Show or Held (or a next-stage to Booked or Held) as the booking fact itself, with source
`manual`, and the NBA follows it as it follows a webhook's."""

from __future__ import annotations

from datetime import datetime

import pytest

from crm_nba.policy.projection import project
from crm_nba.policy.table import recommend
from crm_schemas.pipeline import PipelineState, Status
from crm_schemas.system_properties import Recommendation
from crm_servicekit.accounts import Account

from .history import D, H, History, M, T, unchanged

ACME = Account(account_id="acme")
MEETING = T + D


def nba(h: History, as_of: datetime) -> Recommendation:
    return recommend(project(h.customer, h.events), as_of, unchanged(ACME))


def qualified_then(source: str, *facts: tuple[str, dict[str, str]]) -> History:
    """A customer imported at qualified, then the booking facts, sent by `source`."""
    h = History()
    h.created(T, PipelineState(status=Status.QUALIFIED))
    for minutes, (name, properties) in enumerate(facts, start=1):
        h.add(name, T + minutes * M, properties, source=source, event_id=f"{name}-{minutes}")
    return h


BOOKED = ("MEETING_BOOKED", {"booking_time": MEETING.isoformat()})


@pytest.mark.parametrize(
    ("facts", "action"),
    [
        ((BOOKED, ("NO_SHOW", {})), "rebook"),
        ((BOOKED, ("MEETING_HELD", {})), "request_feedback"),
        ((BOOKED, ("NO_SHOW", {}), BOOKED), "send_presentation"),
    ],
)
def test_a_persons_booking_facts_move_the_nba_as_a_webhooks_do(
    facts: tuple[tuple[str, dict[str, str]], ...], action: str
) -> None:
    by_person = nba(qualified_then("manual", *facts), MEETING + H)
    by_webhook = nba(qualified_then("web", *facts), MEETING + H)
    assert by_person.action == action
    # The same answer but for the customer's id (each history is another customer).
    assert by_person.model_dump(exclude={"customer_id"}) == by_webhook.model_dump(
        exclude={"customer_id"}
    )
