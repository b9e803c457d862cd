"""A settings change reaching the rules after triggers it applies to: their open reminders are
judged again (docs/domain.md, Accounts), against real PostgreSQL, fed as the consumer feeds it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import pytest_asyncio

from crm_rules.main import MIGRATIONS
from crm_rules.policy.decisions import LATE_EVENT
from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_schemas.account_settings import AutomationSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Accounts
from crm_servicekit.db import apply_migrations, create_pool

from .history import ACCOUNT, T0, D, H, event, seeded, settings_changed
from .kafka_io import eventually
from .service_support import ACCOUNTS
from .settings_support import Store

pytestmark = pytest.mark.integration

SEED = ACCOUNT.seed_settings()


def changed(at: Any, patch: dict[str, Any], base: AutomationSettings = SEED) -> Any:
    return settings_changed(at, base.merged(patch))


@pytest_asyncio.fixture
async def store(new_database: str) -> AsyncIterator[Store]:
    apply_migrations(new_database, MIGRATIONS)
    pool = await create_pool(new_database, max_size=3)
    try:
        yield Store(pool, Accounts(ACCOUNTS), KeptReplays())
    finally:
        await pool.close()


async def waits_on_a_lock(store: Store) -> bool:
    """Poll until a session of this database waits for an advisory lock (timeout: fails)."""

    async def waiting() -> int:
        async with store.pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    """
                    SELECT count(*) FROM pg_locks
                    WHERE locktype = 'advisory' AND NOT granted
                      AND database = (SELECT oid FROM pg_database
                                      WHERE datname = current_database())
                    """
                )
            )

    return await eventually(waiting, lambda n: n > 0, within_s=30) > 0


def z(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")


async def test_a_change_dated_back_reschedules_the_open_reminders_of_later_triggers(
    store: Store,
) -> None:
    c = uuid.uuid4()
    early, late = event("NO_SHOW", T0, c), event("NO_SHOW", T0 + 20 * H, c)
    await store.apply([seeded()], [early, late])
    mark = await store.outbox_mark()
    await store.apply([changed(T0 + 10 * H, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}})])
    told = await store.announced(mark)
    assert [(a.event_name, a.properties["trigger_event_id"]) for a in told] == [
        ("REMINDER_RESCHEDULED", late.event_id)
    ]
    assert told[0].properties["type"] == "follow_up_2h"
    assert told[0].properties["scheduled_for"] == z(T0 + 21 * H)
    assert told[0].properties["previous_scheduled_for"] == z(T0 + 22 * H)
    open_2h = {r for r in await store.open_reminders(c) if r[0] == "follow_up_2h"}
    assert {(trigger, at) for _, trigger, at, _ in open_2h} == {
        (early.event_id, T0 + 2 * H),
        (late.event_id, T0 + 21 * H),
    }


async def test_a_change_that_disables_a_type_cancels_the_open_ones_of_later_triggers(
    store: Store,
) -> None:
    c = uuid.uuid4()
    early, late = event("NO_SHOW", T0, c), event("NO_SHOW", T0 + 20 * H, c)
    await store.apply([seeded(), early, late])
    mark = await store.outbox_mark()
    await store.apply([changed(T0 + 10 * H, {"reminders": {"follow_up_1d": {"enabled": False}}})])
    told = await store.announced(mark)
    assert [
        (a.event_name, a.properties["type"], a.properties["trigger_event_id"]) for a in told
    ] == [("REMINDER_CANCELED", "follow_up_1d", late.event_id)]
    assert told[0].properties["reason"] == LATE_EVENT
    assert {(kind, trigger) for kind, trigger, _, _ in await store.open_reminders(c)} >= {
        ("follow_up_1d", early.event_id),
        ("follow_up_2h", late.event_id),
    }
    assert ("follow_up_1d", late.event_id) not in {
        (kind, trigger) for kind, trigger, _, _ in await store.open_reminders(c)
    }


async def test_a_change_that_enables_a_type_creates_it_for_later_triggers(store: Store) -> None:
    c = uuid.uuid4()
    off = SEED.merged({"reminders": {"follow_up_2h": {"enabled": False}}})
    no_show = event("NO_SHOW", T0 + 20 * H, c)
    await store.apply([seeded(), settings_changed(T0, off)], [no_show])
    assert "follow_up_2h" not in {kind for kind, *_ in await store.open_reminders(c)}
    mark = await store.outbox_mark()
    on = off.merged({"reminders": {"follow_up_2h": {"enabled": True, "message": "Call now"}}})
    await store.apply([settings_changed(T0 + 15 * H, on)])
    told = await store.announced(mark)
    assert [(a.event_name, a.properties["type"]) for a in told] == [
        ("REMINDER_CREATED", "follow_up_2h")
    ]
    assert told[0].properties["scheduled_for"] == z(T0 + 22 * H)
    assert told[0].properties["message"] == "Call now"
    assert told[0].properties["trigger_event_id"] == no_show.event_id


async def test_a_disabled_follow_up_7d_dated_back_cancels_the_one_activity_moved(
    store: Store,
) -> None:
    c = uuid.uuid4()
    await store.apply([seeded(), event("DM_STARTED", T0, c)], [event("MESSAGE_SENT", T0 + D, c)])
    assert {(k, at) for k, _, at, _ in await store.open_reminders(c)} == {
        ("follow_up_7d", T0 + 8 * D)
    }
    mark = await store.outbox_mark()
    await store.apply([changed(T0 + H, {"reminders": {"follow_up_7d": {"enabled": False}}})])
    told = await store.announced(mark)
    assert [(a.event_name, a.properties["type"], a.properties["reason"]) for a in told] == [
        ("REMINDER_CANCELED", "follow_up_7d", "disabled")
    ]
    assert await store.open_reminders(c) == set()


async def test_a_change_seen_again_or_one_the_rules_do_not_read_judges_nothing(
    store: Store,
) -> None:
    c = uuid.uuid4()
    change = changed(T0 + 10 * H, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}})
    await store.apply([seeded(), event("NO_SHOW", T0 + 20 * H, c)], [change])
    mark = await store.outbox_mark()
    targets = changed(T0 + 11 * H, {"dmo_targets": {"invites": 3}}, base=SEED)
    await store.apply([change], [targets.model_copy(update={"properties": change.properties})])
    assert await store.announced(mark) == []


async def test_a_kept_replay_made_before_a_change_is_not_continued_under_it(
    store: Store,
) -> None:
    """The customer's replay is kept (in memory and as a snapshot) before the change; the
    change reaches none of their events, so nothing is judged again, and their next trigger
    still gets the new delay: what was kept was made under other settings."""
    c = uuid.uuid4()
    await store.apply([seeded()], [event("NO_SHOW", T0, c)], [event("MESSAGE_SENT", T0 + H, c)])
    await store.apply([changed(T0 + 5 * H, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}})])
    later = event("NO_SHOW", T0 + 10 * H, c)
    await store.apply([later])
    assert (T0 + 11 * H) in {
        at for k, t, at, _ in await store.open_reminders(c) if t == later.event_id
    }


async def applied_while_held(store: Store, held: EventEnvelope, waiting: EventEnvelope) -> None:
    """`held`'s batch applied in a transaction kept open until `waiting`'s batch, applied
    meanwhile, waits on a lock; then both commit."""
    async with store.pool.acquire() as conn:
        async with conn.transaction():
            await apply_events(conn, [held], accounts=store.accounts, topic="t", received_at=T0)
            # Its transaction still open: the other batch waits for it.
            other = asyncio.create_task(store.apply([waiting]))
            assert await waits_on_a_lock(store)
        await other


async def open_reminder_times(store: Store, customer: uuid.UUID) -> set[tuple[str, str, datetime]]:
    return {(kind, trigger, at) for kind, trigger, at, _ in await store.open_reminders(customer)}


async def test_a_change_waits_for_a_batch_of_its_triggers_and_then_judges_them(
    store: Store,
) -> None:
    """The triggers' batch (another partition, another replica) holds its account shared
    until commit; the change takes it exclusively, so it sees the batch's reminders."""
    c = uuid.uuid4()
    await store.apply([seeded()])
    late = event("NO_SHOW", T0 + 20 * H, c)
    change = changed(T0 + 10 * H, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}})
    await applied_while_held(store, held=late, waiting=change)
    assert ("follow_up_2h", late.event_id, T0 + 21 * H) in await open_reminder_times(store, c)


async def test_a_batch_of_triggers_waits_for_a_change_and_then_applies_it(store: Store) -> None:
    c = uuid.uuid4()
    await store.apply([seeded()])
    late = event("NO_SHOW", T0 + 20 * H, c)
    change = changed(T0 + 10 * H, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}})
    await applied_while_held(store, held=change, waiting=late)
    assert ("follow_up_2h", late.event_id, T0 + 21 * H) in await open_reminder_times(store, c)
