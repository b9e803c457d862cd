"""BatchApplier against a real PostgreSQL, without Kafka: triage, tombstones, retries."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import asyncpg
import pytest
from prometheus_client import REGISTRY

from crm_schemas.envelope import EventEnvelope
from crm_schemas.normal_form import is_marked, normal_form_mark
from crm_schemas.topics import message_headers
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.batch_apply import BatchApplier, BatchHandler, RetryPolicy
from crm_servicekit.connection import Conn
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.delivery import Delivery
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.failures import PermanentEventError
from crm_servicekit.idempotency_store import claim_new

from .kafka_support import T0, message_sent

pytestmark = pytest.mark.integration


def delivery(event: EventEnvelope, offset: int, name: str | None = None) -> Delivery:
    return Delivery(
        topic="crm.events.v1",
        partition=0,
        offset=offset,
        key=event.kafka_key,
        value=event.to_json(),
        headers=message_headers(name or event.event_name.value, event.account_id, event.event_id),
    )


def deleted(customer: uuid.UUID, n: int) -> EventEnvelope:
    return EventEnvelope(
        event_name="CUSTOMER_DELETED",
        event_id=f"del-{n}",
        timestamp=T0,
        account_id="acme",
        customer_id=customer,
        source="system",
        received_at=T0,
        producer="tests",
    )


class Recorder:
    def __init__(self, failures: list[BaseException] | None = None) -> None:
        self.applied: list[str] = []
        self.failures = failures or []
        self.letters: list[DeadLetter] = []
        self.sleeps: list[float] = []

    async def handle(self, conn: Conn, events: Sequence[EventEnvelope]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        await conn.execute("SELECT 1")
        self.applied.extend(e.event_id for e in events)

    async def dead_letter(self, letters: list[DeadLetter]) -> None:
        self.letters.extend(letters)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
async def pool(new_database: str) -> AsyncIterator[asyncpg.Pool]:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    pool = await create_pool(new_database)
    yield pool
    await pool.close()


def applier(
    pool: asyncpg.Pool,
    rec: Recorder,
    wanted: frozenset[str] | None = None,
    accepts: Callable[[EventEnvelope], bool] | None = None,
    handler: BatchHandler | None = None,
) -> BatchApplier:
    return BatchApplier(
        pool=pool,
        handler=handler or rec.handle,
        service="test",
        group_id="test-group",
        dead_letter=rec.dead_letter,
        wanted=wanted,
        accepts=accepts,
        retry=RetryPolicy(max_attempts=3),
        sleep=rec.sleep,
    )


async def test_same_event_ten_times_in_and_across_batches_is_applied_once(
    pool: asyncpg.Pool,
) -> None:
    rec = Recorder()
    event = message_sent(uuid.uuid4(), 1)
    outcome = await applier(pool, rec).apply([delivery(event, i) for i in range(5)])
    again = await applier(pool, rec).apply([delivery(event, i) for i in range(5, 10)])
    assert rec.applied == [event.event_id]
    assert (outcome.applied, outcome.duplicates, again.applied, again.duplicates) == (1, 4, 0, 5)


async def test_applied_events_are_counted_by_name(pool: asyncpg.Pool) -> None:
    rec = Recorder()
    customer = uuid.uuid4()
    events = [message_sent(customer, n) for n in range(3)] + [deleted(uuid.uuid4(), 9)]
    before = {name: _consumed(name) for name in ("MESSAGE_SENT", "CUSTOMER_DELETED")}
    outcome = await applier(pool, rec).apply([delivery(e, i) for i, e in enumerate(events)])
    assert outcome.applied == 4
    assert _consumed("MESSAGE_SENT") - before["MESSAGE_SENT"] == 3
    assert _consumed("CUSTOMER_DELETED") - before["CUSTOMER_DELETED"] == 1


def _consumed(name: str) -> float:
    labels = {"service": "test", "event_name": name, "outcome": "applied"}
    return REGISTRY.get_sample_value("crm_events_consumed_total", labels) or 0.0


async def test_unknown_and_unneeded_event_names_are_skipped_by_header(pool: asyncpg.Pool) -> None:
    rec = Recorder()
    event = message_sent(uuid.uuid4(), 1)
    future = Delivery("t", 0, 1, None, b"not even json", message_headers("FROM_V9", "acme", "x"))
    before = {reason: _skipped(reason) for reason in ("unknown_event_name", "not_needed")}
    outcome = await applier(pool, rec, wanted=frozenset({"VIDEO_SENT"})).apply(
        [future, delivery(event, 2), delivery(message_sent(uuid.uuid4(), 3), 3)]
    )
    assert (outcome.skipped, rec.applied, rec.letters) == (3, [], [])
    assert outcome.skip_reasons == {"unknown_event_name": 1, "not_needed": 2}
    # The metric counts them too, once per batch.
    assert _skipped("unknown_event_name") - before["unknown_event_name"] == 1
    assert _skipped("not_needed") - before["not_needed"] == 2


def _skipped(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "crm_events_skipped_total", {"service": "test", "reason": reason}
    )
    return value or 0.0


async def test_events_the_predicate_turns_down_are_skipped_and_not_claimed(
    pool: asyncpg.Pool,
) -> None:
    rec = Recorder()
    customer = uuid.uuid4()
    kept, turned_down, gone = (
        message_sent(customer, 1),
        message_sent(customer, 2),
        deleted(customer, 3),
    )
    choosy = applier(pool, rec, accepts=lambda e: e.event_id != turned_down.event_id)
    outcome = await choosy.apply([delivery(e, i) for i, e in enumerate([kept, turned_down, gone])])
    assert rec.applied == [kept.event_id, gone.event_id]  # deletions are always read
    assert outcome.skipped == 1
    async with pool.acquire() as conn:  # not claimed: were it wanted later, it would apply
        assert [e.event_id for e in await claim_new(conn, [turned_down])] == [turned_down.event_id]


async def test_events_after_a_deletion_are_ignored(pool: asyncpg.Pool) -> None:
    rec = Recorder()
    gone, kept = uuid.uuid4(), uuid.uuid4()
    batch = [message_sent(gone, 1), deleted(gone, 1), message_sent(gone, 2), message_sent(kept, 3)]
    await applier(pool, rec).apply([delivery(e, i) for i, e in enumerate(batch)])
    later = await applier(pool, rec).apply([delivery(message_sent(gone, 4), 9)])
    assert rec.applied == [batch[0].event_id, batch[1].event_id, batch[3].event_id]
    assert later.skipped == 1


async def test_transient_errors_hold_the_batch_and_never_dead_letter(pool: asyncpg.Pool) -> None:
    outage = [ConnectionRefusedError("db down")] * 8  # more than max_attempts
    rec = Recorder(failures=list(outage))
    event = message_sent(uuid.uuid4(), 1)
    await applier(pool, rec).apply([delivery(event, 0)])
    assert rec.applied == [event.event_id]
    assert rec.letters == []
    assert len(rec.sleeps) == 8
    assert rec.sleeps == sorted(rec.sleeps)  # backing off, capped


async def test_a_transient_failure_rolls_back_the_idempotency_claim(pool: asyncpg.Pool) -> None:
    rec = Recorder(failures=[TimeoutError()])
    event = message_sent(uuid.uuid4(), 1)
    await applier(pool, rec).apply([delivery(event, 0)])
    assert rec.applied == [event.event_id]  # the retry was not taken for a duplicate


async def test_undecodable_payload_goes_to_the_dlq_at_once(pool: asyncpg.Pool) -> None:
    rec = Recorder()
    good = message_sent(uuid.uuid4(), 1)
    bad = Delivery("t", 0, 5, b"k", b"{", message_headers("MESSAGE_SENT", "acme", "broken"))
    outcome = await applier(pool, rec).apply([bad, delivery(good, 6)])
    assert rec.applied == [good.event_id]
    assert [(letter.kind, letter.attempts) for letter in outcome.dead_lettered] == [
        ("invalid_payload", 1)
    ]


async def test_a_marked_message_whose_properties_cannot_be_valid_is_dead_lettered(
    pool: asyncpg.Pool,
) -> None:
    # The normal-form mark spares a consumer the normalizing, never the validation.
    rec = Recorder()
    good = message_sent(uuid.uuid4(), 1)
    body = json.loads(good.to_message())
    body["properties"]["channel"] = ""  # at least one character
    raw = normal_form_mark() + json.dumps(body, separators=(",", ":")).encode()[1:]
    assert is_marked(raw)
    bad = Delivery("t", 0, 5, b"k", raw, message_headers("MESSAGE_SENT", "acme", "bad"))
    outcome = await applier(pool, rec).apply([bad, delivery(good, 6)])
    assert rec.applied == [good.event_id]
    assert [(letter.kind, letter.attempts) for letter in outcome.dead_lettered] == [
        ("invalid_payload", 1)
    ]


class KnownAccountsOnly:
    """A handler that applies events of the accounts it knows and refuses the rest as a
    service does (Accounts.of_events), recording each transaction it was given."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.batches: list[list[str]] = []
        self.applied: list[str] = []

    async def handle(self, conn: Conn, events: Sequence[EventEnvelope]) -> None:
        self.batches.append([e.event_id for e in events])
        self.accounts.of_events(events)
        await conn.execute("SELECT 1")
        self.applied.extend(e.event_id for e in events)


async def test_events_a_handler_names_as_culprits_alone_go_and_the_rest_applies_together(
    pool: asyncpg.Pool,
) -> None:
    rec = Recorder()
    handler = KnownAccountsOnly(Accounts([Account(account_id="acme")]))
    customer = uuid.uuid4()
    events = [message_sent(customer, n, account="acme") for n in range(6)]
    gone = [message_sent(uuid.uuid4(), n, account="removed") for n in (2, 4)]
    batch = [*events[:2], gone[0], *events[2:4], gone[1], *events[4:]]
    outcome = await applier(pool, rec, handler=handler.handle).apply(
        [delivery(event, offset) for offset, event in enumerate(batch)]
    )
    # Two transactions, not one per event: the refused one, then the rest together.
    assert handler.batches == [[e.event_id for e in batch], [e.event_id for e in events]]
    assert handler.applied == [e.event_id for e in events]
    assert outcome.applied == len(events)
    letters = outcome.dead_lettered
    assert [letter.delivery.offset for letter in letters] == [2, 5]
    assert {letter.kind for letter in letters} == {"unknown_account"}
    assert all("'removed' is not in the accounts file" in letter.error for letter in letters)
    assert rec.letters == letters
    assert rec.sleeps == []  # nothing was waited for: the culprits were named
    # Applied again, the same deliveries change nothing and dead-letter the refused again.
    again = await applier(pool, rec, handler=handler.handle).apply(
        [delivery(event, offset) for offset, event in enumerate(batch)]
    )
    assert again.duplicates == len(events)
    assert [letter.delivery.offset for letter in again.dead_lettered] == [2, 5]


async def test_culprits_named_outside_the_batch_fall_back_to_one_event_at_a_time(
    pool: asyncpg.Pool,
) -> None:
    misnamed = PermanentEventError("refused", culprits={("acme", "not-in-this-batch")})
    rec = Recorder(failures=[misnamed])
    events = [message_sent(uuid.uuid4(), n) for n in range(3)]
    outcome = await applier(pool, rec).apply(
        [delivery(event, offset) for offset, event in enumerate(events)]
    )
    # The batch is isolated as for any permanent error; the events apply one by one.
    assert rec.applied == [e.event_id for e in events]
    assert outcome.dead_lettered == []
