"""The NBA service against real Kafka and PostgreSQL: a customer created through the API in
an open stage has their creation as last activity, so the NBA reconnects when the rules'
follow_up_7d falls due (creation + 7 days)."""

from __future__ import annotations

import pytest

from crm_schemas.pipeline import PipelineState, Status

from .conftest import RunningNba
from .history import D, H, History, T

pytestmark = pytest.mark.integration


def z(moment: object) -> str:
    return moment.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


async def test_an_api_created_lead_reconnects_a_week_after_its_creation(nba: RunningNba) -> None:
    h = History()
    h.created(T, origin="api")
    await nba.send(h.events)
    rec = await nba.until_nba(h.customer, lambda r: r.get("action") == "start_conversation")
    assert rec["due_at"] == z(T)
    later = await nba.nba_of(h.customer, as_of=T + 8 * D)
    assert (later["action"], later["priority"], later["due_at"]) == ("reconnect", 65, z(T + 7 * D))
    assert later["facts"]["last_activity_at"] == z(T)
    (row,) = await nba.sql(
        "SELECT last_activity_at FROM nba_customers WHERE customer_id = $1", h.customer
    )
    assert row["last_activity_at"] == T


async def test_a_fact_stamped_before_the_creation_leaves_the_creation_as_last_activity(
    nba: RunningNba,
) -> None:
    h = History()
    h.add("MESSAGE_SENT", T - H, {"channel": "ig"})
    h.created(T, PipelineState(status=Status.RELATIONSHIP), origin="api")
    await nba.send(h.events)
    rec = await nba.until_nba(h.customer, lambda r: r.get("due_at") == z(T))
    assert (rec["action"], rec["facts"]["last_activity_at"]) == ("invite", z(T))


async def test_an_import_at_not_now_gets_none_and_no_last_activity(nba: RunningNba) -> None:
    h = History()
    h.created(T, PipelineState(status=Status.NOT_NOW), origin="api")
    await nba.send(h.events)
    rec = await nba.until_nba(h.customer, lambda r: r.get("action") == "none")
    assert rec["reason"] == "Marked Not Now"
    (row,) = await nba.sql(
        "SELECT last_activity_at FROM nba_customers WHERE customer_id = $1", h.customer
    )
    assert row["last_activity_at"] is None
