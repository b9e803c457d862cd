"""A creation through the API in an open stage is the customer's last activity (docs/domain.md,
'Activity'), so the NBA's reconnect falls when the rules' follow_up_7d does; an import at
signed_up or not_now, or a creation by a fact, is no activity."""

from __future__ import annotations

from datetime import datetime

import pytest

from crm_nba.policy.projection import fold, fold_more, project
from crm_nba.policy.table import recommend
from crm_schemas.pipeline import PipelineState, Status
from crm_servicekit.accounts import Account

from .history import D, H, History, T, unchanged

ACME = Account(account_id="acme")


def at(h: History, as_of: datetime) -> tuple[str, int, datetime | None]:
    rec = recommend(project(h.customer, h.events), as_of, unchanged(ACME))
    return rec.action, rec.priority, rec.due_at


def test_an_api_created_lead_s_last_activity_is_its_creation() -> None:
    h = History()
    h.created(T, origin="api")
    assert project(h.customer, h.events).last_activity_at == T
    assert at(h, T + H) == ("start_conversation", 50, T)
    assert at(h, T + 8 * D) == ("reconnect", 65, T + 7 * D)
    rec = recommend(project(h.customer, h.events), T + 8 * D, unchanged(ACME))
    assert rec.facts["last_activity_at"] == T.isoformat().replace("+00:00", "Z")


def test_an_imported_relationship_is_invited_from_its_creation() -> None:
    h = History()
    h.created(T, PipelineState(status=Status.RELATIONSHIP), origin="api")
    assert at(h, T + H) == ("invite", 50, T)


def test_later_activity_moves_the_reconnect() -> None:
    h = History()
    h.created(T, PipelineState(status=Status.INVITED), origin="api")
    h.add("MESSAGE_SENT", T + 5 * D, {"channel": "ig"})
    assert at(h, T + 8 * D) == ("ask_why", 60, T)
    assert at(h, T + 12 * D) == ("reconnect", 65, T + 12 * D)


@pytest.mark.parametrize("status", [Status.SIGNED_UP, Status.NOT_NOW])
def test_an_import_at_signed_up_or_not_now_is_no_activity(status: Status) -> None:
    h = History()
    h.created(T, PipelineState(status=status), origin="api")
    assert project(h.customer, h.events).last_activity_at is None


@pytest.mark.parametrize("origin", ["event", None])
def test_a_creation_by_a_fact_or_of_unknown_origin_is_no_activity(origin: str | None) -> None:
    h = History()
    h.created(T, origin=origin)
    assert project(h.customer, h.events).last_activity_at is None


def test_arrival_order_and_continuing_a_fold_give_the_same() -> None:
    h = History()
    dm = h.add("MESSAGE_SENT", T - H, {"channel": "ig"})
    created = h.created(T, PipelineState(status=Status.INVITED), origin="api")
    in_order = fold(h.customer, [dm, created])
    assert in_order.last_activity_at == T
    assert fold(h.customer, [created, dm]).last_activity_at == T
    # A first creation after other events folds again from where it puts the customer.
    assert fold_more(fold(h.customer, [dm]), [created]) is None
