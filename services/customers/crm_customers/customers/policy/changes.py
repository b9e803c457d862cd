"""What a person's request does to a customer, decided from what was read.

Each function takes the customer (and their stored history) as read under the row lock and
returns a Change: the customer after the request, the history entries it adds, the
identities it claims and the events that announce it. No I/O: the use case reads, calls
one of these, claims, and writes the Change once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_customers.customers.announce import customer_created, customer_updated, event_id_of
from crm_customers.customers.policy.booking_terms import booking_asked
from crm_customers.customers.policy.card import (
    custom_merged,
    custom_problem,
    set_by_change,
    set_on_creation,
)
from crm_customers.customers.policy.customer import OWN_FIELDS, Customer
from crm_customers.customers.policy.entries import booked, consent_given, person_move
from crm_customers.customers.policy.fields import FieldRefused as FieldRefused
from crm_customers.customers.policy.history import Entry, StoredHistory, creation_entry
from crm_customers.customers.policy.identities import IDENTITY_FIELDS, complete_set, dropped
from crm_customers.customers.policy.identities import identity_set as identities_of
from crm_customers.customers.policy.moves import (
    NextStep,
    created_state,
    next_stage_move,
    next_term_move,
    put_status,
)
from crm_customers.customers.schemas import CustomerIn, CustomerPatch, NextStageIn
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.contact import Consent, Handles
from crm_schemas.envelope import EventEnvelope
from crm_schemas.identity import normalize_phone
from crm_schemas.next_action import NextActionStep, StepKind
from crm_schemas.pipeline import Booking, PipelineState
from crm_schemas.system_properties import CreationOrigin, creation_is_activity
from crm_schemas.vocabulary import Vocabulary, meaning_of

# Own fields not taken as given: consent is a fact of the customer's history, custom fields
# are merged into those the card has.
_NOT_AS_GIVEN = frozenset({"consent", "custom"})


@dataclass(frozen=True)
class ByPerson:
    """A person's command as a use case takes it: its cause (id, time, who), the account,
    and the account's region (a phone without a country code is read in it)."""

    cause: Cause
    account_id: str
    region: str


@dataclass(frozen=True)
class Change:
    customer: Customer
    entries: tuple[Entry, ...] = ()
    events: tuple[EventEnvelope, ...] = ()
    identities: dict[str, Any] = field(default_factory=dict)
    # Values the customer had that the change drops: released at ingest with the claim.
    release: dict[str, Any] = field(default_factory=dict)


def phone_in_region(value: str | None, region: str) -> str | None:
    """E.164 of a valid number, read in the account's region when it has no country code."""
    if value is None:
        return None
    try:
        return normalize_phone(value, region)
    except ValueError as invalid:
        raise FieldRefused(("body", "phone"), str(invalid)) from None


def custom_changed(customer: Customer, given: dict[str, Any] | None) -> dict[str, Any]:
    """The card's custom fields after a PUT of `custom` (422 naming it beyond the limits)."""
    merged = custom_merged(customer.custom, given)
    if (problem := custom_problem(merged)) is not None:
        raise FieldRefused(("body", "custom"), problem)
    return merged


def created(person: ByPerson, body: CustomerIn, vocabulary: Vocabulary | None) -> Change:
    """A new customer at the term's state (an import: no STATUS_CHANGED, no booking event)."""
    # A customer created without a status is a lead.
    meaning = meaning_of(body.status, vocabulary) if body.status else meaning_of("lead", None)
    state = created_state(meaning)
    if body.consent is not None and body.consent.messaging is False:
        # Recorded as not to be messaged: the customer starts opted out (the card's consent
        # and the pipeline state agree).
        state = state.with_changes(opted_out=True)
    now = person.cause.timestamp
    phone = phone_in_region(body.phone, person.region)
    customer = Customer(
        account_id=person.account_id,
        id=UUID(person.cause.event_id),
        **body.model_dump(include=set(OWN_FIELDS) - _NOT_AS_GIVEN - {"phone"}, exclude_none=True),
        phone=phone,
        custom=custom_merged({}, body.custom),
        person_next_action=body.next_action,
        person_next_action_date=body.next_action_date,
        next_action=body.next_action,
        next_action_date=body.next_action_date,
        created_at=now,
        updated_at=now,
    )
    customer = customer.model_copy(update={"person_fields": set_on_creation(customer)})
    # The entry records what the event says (whether the creation is activity, by the one
    # definition the event's properties use); the event carries the card as the entry leaves it.
    entry = creation_entry(
        event_id_of(person.cause, person.account_id, EventName.CUSTOMER_CREATED),
        now,
        state,
        activity_at=now if creation_is_activity(CreationOrigin.API, state) else None,
        consent=body.consent,
    )
    placed = customer.model_copy(update={"history": customer.history.then(entry)}).touched(now)
    event = _created(person, placed, state)
    identities = identities_of(customer.email, customer.phone, customer.handles.present())
    return Change(placed, (entry,), (event,), identities)


def updated(
    customer: Customer,
    stored: StoredHistory,
    person: ByPerson,
    body: CustomerPatch,
    vocabulary: Vocabulary | None,
) -> Change:
    """A person's PUT: own fields, next action, a move of the status, the booking."""
    cause = person.cause
    given = body.model_fields_set
    values = body.model_dump(mode="json", include=(set(OWN_FIELDS) - _NOT_AS_GIVEN) & given)
    if "custom" in given:
        values["custom"] = custom_changed(customer, body.custom)
    if "phone" in values:
        values["phone"] = phone_in_region(body.phone, person.region)
    if "handles" in values:
        values["handles"] = Handles.model_validate(values["handles"] or {}).model_dump()
    current = customer.own_fields()
    changes: dict[str, Any] = {k: v for k, v in values.items() if v != current.get(k)}
    # Checked before anything is claimed or written: a refused move changes nothing.
    target = customer.state
    if body.status is not None:
        target = put_status(customer.state, body.status, vocabulary, body.reason)
    booking = booking_asked(customer.state, body, vocabulary)
    after = Customer.model_validate({**customer.model_dump(), **changes})
    person_fields = set_by_change(customer, after)
    if person_fields != customer.person_fields:
        after = after.model_copy(update={"person_fields": person_fields})
        changes["person_fields"] = sorted(person_fields)
    # A change of an identity claims the complete set after it, releasing what it drops.
    identities: dict[str, Any] = {}
    release: dict[str, Any] = {}
    if IDENTITY_FIELDS & changes.keys():
        identities = complete_set(after)
        release = dropped(identities, complete_set(customer))
    if {"next_action", "next_action_date"} & given:
        after, next_changes = _person_next_action(after, body, given, cause.timestamp)
        changes |= next_changes
    events: list[EventEnvelope] = []
    added: list[Entry] = []
    if body.consent is not None and not _restates(customer, body.consent):
        after, target = consent_given(after, target, body.consent, cause, stored, added)
        if after.history.consent != customer.history.consent:
            changes |= {"consent": after.history.consent}
        # The person's consent fact itself, which a rebuild records as it is recorded here.
        changes["person_consent"] = body.consent.model_dump(mode="json", exclude_none=True)
    if changes:
        after = after.touched(cause.timestamp)
        events.append(customer_updated(cause, customer.account_id, customer.id, changes))
    if target != customer.state:
        after, moved = person_move(after, target, body.reason, cause, stored, added)
        events.extend(moved)
    if booking is not None:
        after, announced = booked(after, booking, cause, stored, added)
        events.extend(announced)
    return Change(after, tuple(added), tuple(events), identities, release)


def _created(person: ByPerson, customer: Customer, state: PipelineState) -> EventEnvelope:
    cause = person.cause
    return customer_created(
        cause,
        person.account_id,
        customer.id,
        customer.snapshot(),
        state,
        cause.timestamp,
        CreationOrigin.API,
    )


def _restates(customer: Customer, consent: Consent) -> bool:
    """Whether a PUT's consent only says what the card shows: writing back what was read is
    no new fact (it would outweigh a late event stamped before the request)."""
    shown = customer.history.consent or {}
    given = consent.model_dump(mode="json", exclude_none=True)
    return all(shown.get(key) == value for key, value in given.items())


def moved_to_next_stage(
    customer: Customer,
    stored: StoredHistory,
    person: ByPerson,
    body: NextStageIn,
    vocabulary: Vocabulary | None,
) -> Change:
    """To the next stage (canonical) or the next term (recruiting, sales); a new
    prospect_why given with it is a change of its own."""
    if stored.known:
        # This cause was applied already (an Idempotency-Key used again once its answer was
        # purged); the step it made then may be of another kind than the one it would make now.
        return Change(customer)
    cause = person.cause
    why = body.prospect_why or customer.prospect_why
    if vocabulary in (Vocabulary.RECRUITING, Vocabulary.SALES):
        step = next_term_move(customer.state, why, body.booking_time)
    else:
        step = NextStep(state=next_stage_move(customer.state, why))
    events: list[EventEnvelope] = []
    after = customer
    if body.prospect_why and body.prospect_why != customer.prospect_why:
        after = customer.model_copy(update={"prospect_why": body.prospect_why}).touched(
            cause.timestamp
        )
        changes = {"prospect_why": body.prospect_why}
        events.append(customer_updated(cause, customer.account_id, customer.id, changes))
    added: list[Entry] = []
    if step.state is not None:
        after, moved = person_move(after, step.state, body.reason, cause, stored, added)
    else:
        assert step.booking is not None
        wanted = Booking(state=step.booking, time=body.booking_time)
        after, moved = booked(after, wanted, cause, stored, added)
    events.extend(moved)
    return Change(after, tuple(added), tuple(events))


def _person_next_action(
    customer: Customer, body: CustomerPatch, given: set[str], now: datetime
) -> tuple[Customer, dict[str, Any]]:
    title = body.next_action if "next_action" in given else customer.person_next_action
    due = body.next_action_date if "next_action_date" in given else customer.person_next_action_date
    step = NextActionStep(StepKind.PERSON, title, due, at=now)
    shown = customer.next_action_state.after(step).shown
    after = customer.model_copy(
        update={
            "person_next_action": title,
            "person_next_action_date": due if title is not None else None,
            "next_action": shown.title,
            "next_action_date": shown.due,
        }
    )
    unchanged = (title, due) == (customer.person_next_action, customer.person_next_action_date)
    if unchanged and (shown.title, shown.due) == (customer.next_action, customer.next_action_date):
        return after, {}
    # The person's own choice travels with what is shown, so a rebuild restores both.
    return after, {
        "next_action": shown.title,
        "next_action_date": shown.due,
        "next_action_by": "person" if shown.by_person else "nba",
        "person_next_action": title,
        "person_next_action_date": due if title is not None else None,
    }
