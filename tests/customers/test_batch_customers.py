"""A batch applied at once ends where its events end applied one per transaction.

The consumer reads the customers a batch names once, changes them in memory and saves each
once (batch_customers.py). These tests hold that shortcut to the plain way: the same events,
one database taking them as one batch and another taking them one by one, must leave the
same customers, the same stored facts and the same announcements, in the same order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from crm_customers.consumer import batch_handler
from crm_customers.main import MIGRATIONS
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_events import system_event
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned

from .events import T, fact_event, nba_changed

H, D = timedelta(hours=1), timedelta(days=1)
TOPIC = "crm.events.v1"


def notes_changed(customer: uuid.UUID, at: timedelta, notes: str) -> EventEnvelope:
    """This service's own CUSTOMER_UPDATED, as a rebuild meets it: written to the row directly."""
    return system_event(
        name=EventName.CUSTOMER_UPDATED,
        account_id="acme",
        customer_id=customer,
        properties={"changes": {"notes": notes}},
        cause_event_id=f"put-{uuid.uuid4()}",
        timestamp=T + at,
        producer="customers",
        received_at=T + at,
    )


def mixed_batch() -> list[EventEnvelope]:
    kari, ola, nobody = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    invite = fact_event(EventName.INVITE_SENT, H, customer=kari)
    return [
        fact_event(EventName.DM_STARTED, timedelta(0), customer=kari, contact={"name": "Kari"}),
        fact_event(EventName.DM_STARTED, 10 * H, customer=ola, contact={"name": "Ola"}),
        nba_changed(kari, "Invite them", 2 * H, action="invite", due=3 * H),
        fact_event(EventName.MESSAGE_SENT, 3 * H, customer=kari),
        invite,  # late: older than the MESSAGE_SENT before it, so the history is re-folded
        invite,  # a redelivered copy in the same batch
        notes_changed(kari, 4 * H, "met at the gym"),  # written directly, mid-batch
        fact_event(EventName.VIDEO_SENT, 5 * H, customer=kari),
        nba_changed(kari, "Ask what they thought", 6 * H, action="follow_up", due=D),
        # The same recommendation again: nothing to change.
        nba_changed(kari, "Ask what they thought", 7 * H, action="follow_up", due=D),
        nba_changed(nobody, "Invite them", 8 * H, action="invite"),  # no such customer
        fact_event(EventName.INVITE_SENT, 11 * H, customer=ola),
    ]


async def applied(url: str, batches: Sequence[Sequence[EventEnvelope]]) -> dict[str, Any]:
    """What a fresh database holds after the handler took these batches, one transaction each."""
    await apply_migrations_in_thread(url, MIGRATIONS)
    pool = await create_pool(url)
    try:
        handle = batch_handler(FixedClock(T + 2 * D), TOPIC)
        for batch in batches:
            async with pool.acquire() as conn, conn.transaction():
                fresh = await claim_new(conn, list(batch))
                live, _ = await drop_tombstoned(conn, fresh)
                await handle(conn, live)
        customers = await pool.fetch("SELECT * FROM customers ORDER BY id")
        facts = await pool.fetch(
            "SELECT customer_id, event_id, entry FROM customer_facts ORDER BY event_id"
        )
        outbox = await pool.fetch("SELECT event_id, event_name, value FROM outbox ORDER BY id")
    finally:
        await pool.close()
    return {
        "customers": [dict(row) for row in customers],
        "facts": [dict(row) for row in facts],
        "outbox": [dict(row) for row in outbox],
    }


async def test_one_batch_ends_where_one_event_at_a_time_ends(
    new_database: str, other_database: str
) -> None:
    events = mixed_batch()
    at_once = await applied(new_database, [events])
    one_by_one = await applied(other_database, [[event] for event in events])

    assert at_once == one_by_one
    # And the comparison is about something: two customers, the direct write and the mirror
    # in them, and their announcements (the mirror's is NBA_CHANGED alone).
    kari = next(c for c in at_once["customers"] if c["name"] == "Kari")
    assert kari["notes"] == "met at the gym"
    assert kari["next_action"] == "Ask what they thought"
    assert kari["status"] == "presentation_sent"
    assert len(at_once["customers"]) == 2
    names = [row["event_name"] for row in at_once["outbox"]]
    assert names.count(EventName.CUSTOMER_CREATED.value) == 2
    # The mirror moved twice and is announced by neither: NBA_CHANGED carries it already.
    assert names.count(EventName.CUSTOMER_UPDATED.value) == 0
    assert EventName.STATUS_CHANGED.value in names
