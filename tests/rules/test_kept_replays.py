"""Replays kept between batches answer exactly as a replay of the whole stored history does.

Two fresh databases get the same generated history, in the same (often shuffled) arrival
order, cut into the same batches, with the same people's actions between batches. One applies
each batch as the consumer does, with kept replays (two replicas taking turns, and batches
whose transaction rolls back before it is applied again); the other is the reference: every
batch reads the customer's stored history and reminders and replays it all (`kept=None`).
Both must store the same reminders and enqueue the same announcements, batch after batch.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timezone
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_rules.main import MIGRATIONS
from crm_rules.service import actions
from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_schemas.causes import Command
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Status
from crm_servicekit.accounts import Accounts
from crm_servicekit.db import apply_migrations, create_pool
from crm_servicekit.problems import Conflict

from .history import FACT_NAMES, T0, H, fact_event, status_changed
from .service_support import ACCOUNTS

TOPIC = "rules-kept-replays"
NAMES = (*FACT_NAMES, "PERSON_MOVE")


class RolledBack(Exception):
    """Raised inside a transaction to roll it back, as a failed commit would."""


@dataclass(frozen=True)
class Fact:
    name: str
    hours: int
    offset_hours: int = 0  # the sender's UTC offset: the stored reminders read back in UTC


@dataclass(frozen=True)
class PersonStep:
    """Between two batches: a person makes a reminder, or snoozes or completes one."""

    kind: str
    pick: int
    hours: int


@dataclass(frozen=True)
class Batch:
    arrivals: list[int]
    replica: int
    rolled_back_first: bool
    person: PersonStep | None


def envelope_of(fact: Fact, n: int, customer: uuid.UUID, account: str) -> EventEnvelope:
    at = (T0 + fact.hours * H).astimezone(timezone(fact.offset_hours * H))
    event_id = f"h{n:03d}-{customer.hex[:8]}"
    if fact.name == "PERSON_MOVE":
        moved = status_changed(
            at,
            customer,
            Status.QUALIFIED,
            Status.PRESENTATION_SENT,
            cause_name="x",
            person=True,
            account=account,
        )
        return moved.model_copy(update={"event_id": event_id})
    return fact_event(fact.name, at, customer, event_id=event_id, account=account)


@st.composite
def scenarios(draw: st.DrawFn, replicas: int = 2) -> tuple[str, list[Fact], list[Batch]]:
    account = draw(st.sampled_from(["acme", "quiet"]))
    facts = draw(
        st.lists(
            st.builds(
                Fact, st.sampled_from(NAMES), st.integers(0, 24 * 20), st.sampled_from([0, 2, -5])
            ),
            min_size=1,
            max_size=14,
        )
    )
    in_time_order = sorted(range(len(facts)), key=lambda n: (facts[n].hours, n))
    order = draw(st.one_of(st.just(in_time_order), st.permutations(range(len(facts)))))
    redelivered = draw(st.lists(st.sampled_from(order), max_size=2))
    arrivals = [*order, *redelivered]
    batches, start = [], 0
    while start < len(arrivals):
        size = draw(st.integers(1, 4))
        person = draw(
            st.none()
            | st.builds(
                PersonStep,
                st.sampled_from(["make", "snooze", "complete"]),
                st.integers(0, 9),
                st.integers(1, 24 * 20),
            )
        )
        batches.append(
            Batch(
                arrivals[start : start + size],
                replica=draw(st.integers(0, replicas - 1)),
                rolled_back_first=draw(st.booleans()),
                person=person,
            )
        )
        start += size
    return account, facts, batches


async def person_step(
    pool: asyncpg.Pool, step: PersonStep, account: str, customer: uuid.UUID, key: str
) -> None:
    """The same action through the API's own code on either database (same ids: same key)."""
    command = Command(account_id=account, actor_id="p", at=T0 + step.hours * H, idempotency_key=key)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT id FROM reminders WHERE customer_id = $1 AND status = 'open' ORDER BY id",
            customer,
        )
        try:
            if step.kind == "make":
                at = command.at + H
                await actions.create_manual(conn, command, customer, at, "call", topic=TOPIC)
            elif rows and step.kind == "snooze":
                picked = rows[step.pick % len(rows)]["id"]
                until = T0 + (step.hours + 30) * H
                await actions.snooze(conn, command, picked, until, topic=TOPIC)
            elif rows:
                picked = rows[step.pick % len(rows)]["id"]
                await actions.complete(conn, command, picked, topic=TOPIC)
        except Conflict:
            pass  # an opted-out customer gets no reminder: the same answer on both sides


async def written(conn: asyncpg.Connection, customer: uuid.UUID, after: int) -> Any:
    reminders = await conn.fetch(
        "SELECT * FROM reminders WHERE customer_id = $1 ORDER BY id", customer
    )
    outbox = await conn.fetch(
        "SELECT event_id, event_name, value FROM outbox WHERE id > $1 ORDER BY id", after
    )
    return [dict(r) for r in reminders], [tuple(r) for r in outbox]


async def run(
    dsns: tuple[str, str],
    account: str,
    facts: list[Fact],
    batches: list[Batch],
    replicas: Sequence[KeptReplays | None] = (),  # None keeps nothing (an older version)
) -> None:
    customer = uuid.uuid4()
    envelopes = [envelope_of(fact, n, customer, account) for n, fact in enumerate(facts)]
    accounts = Accounts(ACCOUNTS)
    replicas = replicas or [KeptReplays(), KeptReplays()]
    kept_pool, reference_pool = [await create_pool(dsn, max_size=1) for dsn in dsns]
    try:
        async with kept_pool.acquire() as conn:
            since = [int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox"))]
        async with reference_pool.acquire() as conn:
            since.append(int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox")))
        for number, batch in enumerate(batches):
            group = [envelopes[n] for n in batch.arrivals]
            kept = replicas[batch.replica]
            if batch.rolled_back_first:
                try:
                    async with kept_pool.acquire() as conn, conn.transaction():
                        await apply_events(
                            conn, group, accounts=accounts, topic=TOPIC, received_at=T0, kept=kept
                        )
                        raise RolledBack
                except RolledBack:
                    pass
            async with kept_pool.acquire() as conn, conn.transaction():
                await apply_events(
                    conn, group, accounts=accounts, topic=TOPIC, received_at=T0, kept=kept
                )
            async with reference_pool.acquire() as conn, conn.transaction():
                await apply_events(conn, group, accounts=accounts, topic=TOPIC, received_at=T0)
            if batch.person is not None:
                key = f"{customer}-{number}"
                for pool in (kept_pool, reference_pool):
                    await person_step(pool, batch.person, account, customer, key)
            async with kept_pool.acquire() as a, reference_pool.acquire() as b:
                assert await written(a, customer, since[0]) == await written(b, customer, since[1])
    finally:
        await kept_pool.close()
        await reference_pool.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios())
def test_kept_replays_answer_as_the_whole_history_replayed(
    new_database: str, other_database: str, scenario: tuple[str, list[Fact], list[Batch]]
) -> None:
    # Migrations once per database (yoyo skips what is applied).
    apply_migrations(new_database, MIGRATIONS)
    apply_migrations(other_database, MIGRATIONS)
    asyncio.run(run((new_database, other_database), *scenario))


def test_a_kept_replay_is_used_only_while_it_stands_for_the_store(new_database: str) -> None:
    """A customer applied once is kept, and stays kept while only this consumer writes them;
    a person's action through the API renews their head, so the kept replay is not used."""
    apply_migrations(new_database, MIGRATIONS)
    customer = uuid.uuid4()
    key = ("acme", customer)
    kept = KeptReplays()

    async def head(conn: asyncpg.Connection) -> uuid.UUID | None:
        found: uuid.UUID | None = await conn.fetchval(
            "SELECT head FROM customer_heads WHERE customer_id = $1", customer
        )
        return found

    async def scenario() -> list[bool]:
        pool = await create_pool(new_database, max_size=1)
        seen = []
        try:
            for n in range(3):
                seen.append(key in kept)
                message = envelope_of(Fact("MESSAGE_RECEIVED", n), n, customer, "acme")
                async with pool.acquire() as conn, conn.transaction():
                    await apply_events(
                        conn,
                        [message],
                        accounts=Accounts(ACCOUNTS),
                        topic=TOPIC,
                        received_at=T0,
                        kept=kept,
                    )
            async with pool.acquire() as conn:
                # Marking reminders notified (the scheduler) is no change of the history...
                before = await head(conn)
                await conn.execute(
                    "UPDATE reminders SET due_notified_for = scheduled_for WHERE customer_id = $1",
                    customer,
                )
                seen.append(await head(conn) == before)
                # ...but any other write renews the head, an older version's replica included.
                await conn.execute(
                    "UPDATE reminders SET message = 'm' WHERE customer_id = $1", customer
                )
                seen.append(await head(conn) != before)
            command = Command(account_id="acme", actor_id="p", at=T0 + 4 * H, idempotency_key="k")
            async with pool.acquire() as conn, conn.transaction():
                await actions.create_manual(conn, command, customer, T0 + 9 * H, "x", topic=TOPIC)
            seen.append(key in kept)
            async with pool.acquire() as conn:
                seen.append(kept.take(key, await head(conn), 0, ACCOUNTS[0]) is not None)
        finally:
            await pool.close()
        return seen

    # Not kept before its first batch, kept after each; marking notified keeps the head, a
    # plain SQL update renews it; still held after the person's action but no longer taken,
    # since the head moved on.
    assert asyncio.run(scenario()) == [False, True, True, True, True, True, False]
