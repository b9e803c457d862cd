"""The repository's typed filter: each field narrows the list; pages go by (scheduled_for, id)."""

from __future__ import annotations

import uuid

from crm_rules import repository as repo
from crm_rules.main import MIGRATIONS
from crm_rules.policy.decisions import canceled
from crm_rules.policy.reminder import Reminder, ReminderStatus
from crm_rules.repository import ReminderFilter
from crm_schemas.system_properties import ReminderRule, ReminderType
from crm_servicekit.db import apply_migrations_in_thread, create_pool

from .history import T0, H, manual_reminder

CUSTOMER, OTHER = uuid.uuid4(), uuid.uuid4()


def reminder(hours: int, customer: uuid.UUID = CUSTOMER, account: str = "acme") -> Reminder:
    return manual_reminder(T0 + hours * H, f"api-{hours}", customer=customer, account=account)


async def test_each_field_of_the_filter_narrows_the_list(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database, max_size=1)
    try:
        mine = [reminder(n) for n in range(1, 5)]
        theirs = reminder(2, OTHER)
        followed = theirs.model_copy(
            update={"type": ReminderType.FOLLOW_UP_7D, "rule": ReminderRule.INACTIVITY}
        )
        gone = canceled(mine[3], T0, "person")
        elsewhere = reminder(1, account="other")
        async with pool.acquire() as conn:
            await repo.save_reminders(conn, [*mine[:3], gone, followed, elsewhere])

            async def ids(matching: ReminderFilter, limit: int = 10) -> list[uuid.UUID]:
                found = await repo.list_reminders(conn, "acme", matching, limit=limit)
                return [r.id for r in found]

            everything = [mine[0].id, mine[1].id, followed.id, mine[2].id, gone.id]
            assert sorted(await ids(ReminderFilter())) == sorted(everything)
            assert (await ids(ReminderFilter()))[0] == mine[0].id  # oldest first
            assert await ids(ReminderFilter(customer_id=OTHER)) == [followed.id]
            assert await ids(ReminderFilter(status=ReminderStatus.CANCELED)) == [gone.id]
            assert await ids(ReminderFilter(type=ReminderType.FOLLOW_UP_7D)) == [followed.id]
            # (scheduled_after, scheduled_until]: the start is out, the end is in.
            window = ReminderFilter(
                customer_id=CUSTOMER, scheduled_after=T0 + H, scheduled_until=T0 + 3 * H
            )
            assert await ids(window) == [mine[1].id, mine[2].id]
            open_due = ReminderFilter(
                customer_id=CUSTOMER, status=ReminderStatus.OPEN, scheduled_until=T0 + 4 * H
            )
            assert await ids(open_due) == [r.id for r in mine[:3]]
            first = await repo.list_reminders(conn, "acme", open_due, limit=2)
            rest = ReminderFilter(
                customer_id=CUSTOMER,
                status=ReminderStatus.OPEN,
                scheduled_until=T0 + 4 * H,
                after=(first[-1].scheduled_for, first[-1].id),
            )
            assert [r.id for r in first] + await ids(rest) == [r.id for r in mine[:3]]
            assert await ids(ReminderFilter(), limit=1) == [mine[0].id]
    finally:
        await pool.close()
