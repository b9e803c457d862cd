"""A person's actions on customers: create, change, move to the next stage, delete.

Each runs inside the request's transaction; the routes only parse and call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi.encoders import jsonable_encoder

from crm_customers import repository
from crm_customers.announce import Cause, announce
from crm_customers.api_models import CustomerIn, CustomerPatch, NextStageIn
from crm_customers.booking import booking_event
from crm_customers.claims import IdentityClaims, identities_of
from crm_customers.contact_fields import normalize_phone
from crm_customers.evolution import with_entry
from crm_customers.history import Entry, creation_entry, person_move_entry
from crm_customers.policy import (
    NextAction,
    created_state,
    next_stage_move,
    put_status,
    shown_next_action,
)
from crm_customers.records import OWN_FIELDS, Customer
from crm_schemas.catalog import EventName
from crm_schemas.contact import Handles
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import PipelineState
from crm_schemas.system_properties import Actor, CustomerCreated, CustomerDeleted
from crm_schemas.vocabulary import Vocabulary, meaning_of
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.problems import Conflict, FieldError, NotFound, Unprocessable

E = EventName


@dataclass(frozen=True)
class Action:
    """A person's request: whose account, why (its cause id and time), where events go."""

    account: Account
    cause: Cause
    topic: str
    claims: IdentityClaims

    @property
    def account_id(self) -> str:
        return self.account.account_id


def _phone(value: str | None, action: Action) -> str | None:
    if value is None:
        return None
    try:
        return normalize_phone(value, action.account.default_region)
    except ValueError as invalid:
        raise Unprocessable(
            "Invalid phone.", errors=[FieldError(["body", "phone"], str(invalid))]
        ) from None


async def create_customer(
    conn: Conn, action: Action, body: CustomerIn, vocabulary: Vocabulary | None
) -> Customer:
    # A customer created without a status is a lead.
    meaning = meaning_of(body.status, vocabulary) if body.status else meaning_of("lead", None)
    state = created_state(meaning)
    now = action.cause.timestamp
    phone = _phone(body.phone, action)
    customer = Customer(
        account_id=action.account_id,
        id=UUID(action.cause.event_id),
        **body.model_dump(include=set(OWN_FIELDS) - {"phone"}, exclude_none=True),
        phone=phone,
        person_next_action=body.next_action,
        person_next_action_date=body.next_action_date,
        next_action=body.next_action,
        next_action_date=body.next_action_date,
        created_at=now,
        updated_at=now,
    )
    identities = identities_of(customer.email, customer.phone, customer.handles.present())
    if identities:
        await action.claims.claim(action.account_id, customer.id, identities)
    if not await repository.insert(conn, customer):
        raise Conflict("A customer with this id exists already.", customer_id=str(customer.id))
    created = CustomerCreated(customer=customer.snapshot(), state=state, created_at=now)
    event = action.cause.event(E.CUSTOMER_CREATED, action.account_id, customer.id, created)
    placed = await with_entry(conn, customer, creation_entry(event.event_id, now, state))
    assert placed is not None  # a new customer has no stored entries
    await repository.save(conn, placed)
    await announce(conn, [event], action.topic)
    return placed


async def locked_customer(conn: Conn, account_id: str, customer_id: UUID) -> Customer:
    customer = await repository.get(conn, account_id, customer_id, lock=True)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


async def update_customer(
    conn: Conn,
    action: Action,
    customer_id: UUID,
    body: CustomerPatch,
    vocabulary: Vocabulary | None,
) -> Customer:
    if body.status is not None:
        meaning_of(body.status, vocabulary)  # an unknown term is 422 before the state is read
    customer = await locked_customer(conn, action.account_id, customer_id)
    given = body.model_fields_set
    values = jsonable_encoder(body.model_dump(include=set(OWN_FIELDS) & given))
    if "phone" in values:
        values["phone"] = _phone(body.phone, action)
    if "handles" in values:
        values["handles"] = Handles.model_validate(values["handles"] or {}).model_dump()
    current = customer.own_fields()
    changes: dict[str, Any] = {k: v for k, v in values.items() if v != current.get(k)}
    # Checked before anything is claimed or written: a refused move changes nothing.
    target = customer.state
    if body.status is not None:
        target = put_status(customer.state, body.status, vocabulary, body.reason)
    updated = Customer.model_validate({**customer.model_dump(), **changes})
    claimed = identities_of(
        changes.get("email"),
        changes.get("phone"),
        updated.handles.present() if "handles" in changes else {},
    )
    if claimed:
        await action.claims.claim(action.account_id, customer.id, claimed)
    if {"next_action", "next_action_date"} & given:
        updated, next_changes = _person_next_action(updated, body, given, action)
        changes |= next_changes
    events: list[EventEnvelope] = []
    if changes:
        updated = updated.touched(action.cause.timestamp)
        events.append(
            action.cause.event(
                E.CUSTOMER_UPDATED,
                action.account_id,
                customer.id,
                {"changes": jsonable_encoder(changes)},
            )
        )
    if target != customer.state:
        updated, moved = await _person_move(conn, action, updated, target, body.reason)
        events.extend(moved)
    if body.booking is not None:
        updated, booked = await _booking(conn, action, updated, body)
        events.extend(booked)
    await repository.save(conn, updated)
    await announce(conn, events, action.topic)
    return updated


def _person_next_action(
    customer: Customer, body: CustomerPatch, given: set[str], action: Action
) -> tuple[Customer, dict[str, Any]]:
    title = body.next_action if "next_action" in given else customer.person_next_action
    due = body.next_action_date if "next_action_date" in given else customer.person_next_action_date
    person = NextAction(title, due, by_person=True) if title is not None else None
    shown = shown_next_action(
        person, customer.nba_title, customer.nba_due_at, action.cause.timestamp
    )
    updated = customer.model_copy(
        update={
            "person_next_action": title,
            "person_next_action_date": due if title is not None else None,
            "next_action": shown.title,
            "next_action_date": shown.due,
        }
    )
    unchanged = (title, due) == (customer.person_next_action, customer.person_next_action_date)
    if unchanged and (shown.title, shown.due) == (customer.next_action, customer.next_action_date):
        return updated, {}
    # The person's own choice travels with what is shown, so a rebuild restores both.
    return updated, {
        "next_action": shown.title,
        "next_action_date": shown.due,
        "next_action_by": "person" if shown.by_person else "nba",
        "person_next_action": title,
        "person_next_action_date": due if title is not None else None,
    }


async def _person_move(
    conn: Conn, action: Action, customer: Customer, target: PipelineState, reason: str | None
) -> tuple[Customer, list[EventEnvelope]]:
    before = customer.state
    event = action.cause.status_changed(
        action.account_id, customer.id, before, target, actor=Actor.PERSON, reason=reason
    )
    entry = person_move_entry(event.event_id, action.cause.timestamp, before, target)
    moved = await with_entry(conn, customer, entry)
    if moved is None or moved.state == before:
        return customer, []
    if moved.state != target:
        # A fact later than the request time: the fold decides; announce what it gives.
        event = action.cause.status_changed(
            action.account_id, customer.id, before, moved.state, actor=Actor.PERSON, reason=reason
        )
    return moved, [event]


async def _booking(
    conn: Conn, action: Action, customer: Customer, body: CustomerPatch
) -> tuple[Customer, list[EventEnvelope]]:
    assert body.booking is not None
    fact = booking_event(action, customer, body.booking)
    if fact is None:
        return customer, []
    entry = Entry.of(fact)
    assert entry is not None
    before = customer.state
    booked = await with_entry(conn, customer, entry)
    if booked is None:
        return customer, []
    events = [fact]
    if booked.state != before:
        cause = Cause(
            fact.event_id,
            fact.event_name.value,
            fact.timestamp,
            action.cause.received_at,
            action.cause.actor_id,
        )
        events.append(
            cause.status_changed(
                action.account_id, customer.id, before, booked.state, actor=Actor.EVENT
            )
        )
    return booked, events


async def next_stage(conn: Conn, action: Action, customer_id: UUID, body: NextStageIn) -> Customer:
    customer = await locked_customer(conn, action.account_id, customer_id)
    why = body.prospect_why or customer.prospect_why
    target = next_stage_move(customer.state, why)
    events: list[EventEnvelope] = []
    updated = customer
    if body.prospect_why and body.prospect_why != customer.prospect_why:
        updated = customer.model_copy(update={"prospect_why": body.prospect_why}).touched(
            action.cause.timestamp
        )
        changes = {"prospect_why": body.prospect_why}
        events.append(
            action.cause.event(
                E.CUSTOMER_UPDATED, action.account_id, customer.id, {"changes": changes}
            )
        )
    updated, moved = await _person_move(conn, action, updated, target, body.reason)
    events.extend(moved)
    await repository.save(conn, updated)
    await announce(conn, events, action.topic)
    return updated


async def delete_customer(conn: Conn, action: Action, customer_id: UUID) -> None:
    await locked_customer(conn, action.account_id, customer_id)
    event = action.cause.event(
        E.CUSTOMER_DELETED, action.account_id, customer_id, CustomerDeleted()
    )
    await repository.delete(conn, action.account_id, customer_id)
    await repository.mark_deleted(
        conn, action.account_id, customer_id, action.cause.timestamp, event.event_id
    )
    await announce(conn, [event], action.topic)
