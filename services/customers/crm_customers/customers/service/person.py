"""A person's use cases on customers: create, change, move to the next stage, delete.

Each runs in the request's transaction: one read (under the row lock), a decision of
policy/changes.py, the claim of new identities at ingest, one write and one outbox write.
A change of identities claims the customer's complete set after it (releasing what it drops).
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from crm_customers.automation import service as automation
from crm_customers.customers.announce import customer_deleted
from crm_customers.customers.claims import IngestClaims
from crm_customers.customers.policy import changes
from crm_customers.customers.policy.booking_terms import booking_shape
from crm_customers.customers.policy.changes import ByPerson, Change
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.entries import entry_ids
from crm_customers.customers.policy.history import StoredHistory
from crm_customers.customers.repository import customers as repository
from crm_customers.customers.schemas import CustomerIn, CustomerPatch, NextStageIn
from crm_customers.customers.service.identity_claims import ClaimsOfTransaction, kept_in_step
from crm_schemas.vocabulary import Vocabulary, meaning_of
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue_applied
from crm_servicekit.problems import Conflict, NotFound


@dataclass(frozen=True)
class Outlets:
    """Where a person's use cases reach beyond the database: ingest, which holds the
    identities, and the topic the events go to."""

    claims: IngestClaims
    topic: str


def claiming(
    pool: asyncpg.Pool, outlets: Outlets
) -> AbstractAsyncContextManager[ClaimsOfTransaction]:
    """The block a person's transaction runs in when it claims identities at ingest: if it
    does not commit after a claim, ingest is put back in step with what was committed."""
    return kept_in_step(pool, outlets.claims)


async def create_customer(
    conn: Conn,
    outlets: Outlets,
    claims: ClaimsOfTransaction,
    person: ByPerson,
    body: CustomerIn,
    vocabulary: Vocabulary | None,
) -> Customer:
    """In the caller's transaction, run inside `claiming`: when that does not commit after
    ingest took the claim, the claimed identities are released."""
    if body.phone is not None:
        person = await _in_region_in_force(conn, person)
    change = changes.created(person, body, vocabulary)
    # New identities are claimed at ingest before anything is written (409 names the holder).
    if change.identities:
        await repository.lock_id(conn, person.account_id, change.customer.id)
        await claims.claim(change)
    if not await repository.insert_new(conn, change.customer, change.entries):
        raise Conflict(
            "A customer with this id exists already.", customer_id=str(change.customer.id)
        )
    await enqueue_applied(conn, change.events, outlets.topic)
    return change.customer


async def update_customer(
    pool: asyncpg.Pool,
    outlets: Outlets,
    person: ByPerson,
    customer_id: UUID,
    body: CustomerPatch,
    vocabulary: Vocabulary | None,
) -> Customer:
    """In a transaction of its own: when it fails after ingest took the claim, the committed
    identities are claimed again, so ingest and the card agree."""
    # The request's own values are 422 before the state is read (an unknown term, a booking
    # without its state).
    if body.status is not None:
        meaning_of(body.status, vocabulary)
    booking_shape(body, vocabulary)
    async with (
        claiming(pool, outlets) as claims,
        pool.acquire() as conn,
        conn.transaction(),
    ):
        customer, stored = await _read(conn, person, customer_id)
        if body.phone is not None:
            person = await _in_region_in_force(conn, person)
        change = changes.updated(customer, stored, person, body, vocabulary)
        if change.identities or change.release:
            await claims.claim(change)
        return await _write(conn, outlets, change)


async def next_stage(
    conn: Conn,
    outlets: Outlets,
    person: ByPerson,
    customer_id: UUID,
    body: NextStageIn,
    vocabulary: Vocabulary | None,
) -> Customer:
    customer, stored = await _read(conn, person, customer_id)
    change = changes.moved_to_next_stage(customer, stored, person, body, vocabulary)
    return await _write(conn, outlets, change)


async def delete_customer(
    conn: Conn, outlets: Outlets, person: ByPerson, customer_id: UUID
) -> None:
    if await repository.get(conn, person.account_id, customer_id, lock=True) is None:
        raise NotFound("No such customer.")
    event = customer_deleted(person.cause, person.account_id, customer_id)
    await repository.delete_with_tombstone(
        conn, person.account_id, customer_id, person.cause.timestamp, event.event_id
    )
    await enqueue_applied(conn, [event], outlets.topic)


async def _read(conn: Conn, person: ByPerson, customer_id: UUID) -> tuple[Customer, StoredHistory]:
    found = await repository.read_for_change(
        conn,
        person.account_id,
        customer_id,
        person.cause.timestamp,
        entry_ids(person.cause, person.account_id),
    )
    if found is None:
        raise NotFound("No such customer.")
    return found


async def _in_region_in_force(conn: Conn, person: ByPerson) -> ByPerson:
    """The person's command with the account's region in force at its time (the settings an
    admin changes), which phone numbers without a country code are read in."""
    region = await automation.region_in_force(
        conn, person.account_id, person.cause.timestamp, person.region
    )
    return dataclasses.replace(person, region=region)


async def _write(conn: Conn, outlets: Outlets, change: Change) -> Customer:
    await repository.write_change(conn, change.customer, change.entries)
    await enqueue_applied(conn, change.events, outlets.topic)
    return change.customer
