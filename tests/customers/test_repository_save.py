"""Saving several customers in one statement keeps every column of every one of them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import History
from crm_customers.customers.repository import customers as repository
from crm_customers.main import MIGRATIONS
from crm_schemas.contact import Consent, Handles, Utm
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_servicekit.db import apply_migrations_in_thread, create_pool

from .events import T

H = timedelta(hours=1)


def bare(account_id: str) -> Customer:
    return Customer(account_id=account_id, id=uuid.uuid4(), created_at=T, updated_at=T)


def everything_set(customer: Customer, n: int) -> Customer:
    state = PipelineState(
        status=Status.PRESENTATION_SENT,
        booking=Booking(state=BookingState.HELD),
        joined_team=True,
        opted_out=True,
    )
    return customer.model_copy(
        update={
            "name": f"Kari {n}", "email": f"kari{n}@example.com", "phone": "+4791234567",
            "handles": Handles(ig=f"kari{n}", whatsapp="+4791234567"), "source": "ig",
            "country": "NO", "language": "nb", "notes": "met at the gym", "prospect_why": "time",
            "next_action": "Call", "next_action_date": T + H,
            "person_next_action": "Call", "person_next_action_date": T + 2 * H,
            "nba_title": "Invite them", "nba_due_at": T + 3 * H,
            "consent": Consent(messaging=True, terms_version="v2"),
            "utm": Utm(source="meta", campaign="winter"),
            "history": History(
                state=state, last_activity_at=T + 4 * H, latest=(T + 5 * H, f"ev-{n}")
            ),
            "updated_at": T + 6 * H,
        }
    )  # fmt: skip


async def test_save_many_writes_every_field_and_only_the_customers_given(
    new_database: str,
) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    try:
        customers = [bare("acme"), bare("acme"), bare("globex"), bare("acme")]
        async with pool.acquire() as conn:
            for customer in customers:
                assert await repository.insert(conn, customer)
            changed = [everything_set(customers[2], 2), everything_set(customers[0], 0)]
            # And one whose fields go back to empty: the NULLs are written too.
            emptied = everything_set(customers[1], 1)
            await repository.save_many(conn, [emptied])
            emptied = bare("acme").model_copy(update={"id": customers[1].id})
            async with conn.transaction():
                await repository.save_many(conn, [*changed, emptied])
            stored = await repository.get_many(conn, [(c.account_id, c.id) for c in customers])
        assert stored[("globex", customers[2].id)] == changed[0]
        assert stored[("acme", customers[0].id)] == changed[1]
        assert stored[("acme", customers[1].id)] == emptied
        assert stored[("acme", customers[3].id)] == customers[3]  # not given, not touched
    finally:
        await pool.close()
