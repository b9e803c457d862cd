"""The card's contact data, consent and custom fields decided without I/O
(customers/policy/card.py, the consent of policy/history.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crm_customers.customers.policy import changes
from crm_customers.customers.policy.card import (
    custom_merged,
    custom_problem,
    filled_from_event,
    set_by_change,
)
from crm_customers.customers.policy.changes import ByPerson
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import Entry, StoredHistory, replay
from crm_customers.customers.schemas import CustomerPatch
from crm_schemas.catalog import EventName
from crm_schemas.causes import Command
from crm_schemas.contact import Consent, Handles, LinkedIdentities
from crm_schemas.envelope import EventEnvelope

from .events import T, fact_event

CUSTOMER = uuid.uuid4()
H = timedelta(hours=1)


def card(**fields: Any) -> Customer:
    return Customer(account_id="acme", id=CUSTOMER, created_at=T, updated_at=T, **fields)


def lead(linked: dict[str, Any], name: str | None = None) -> EventEnvelope:
    event = fact_event(
        EventName.LEAD_QUALIFIED, H, customer=CUSTOMER, contact={"name": name} if name else None
    )
    return event.model_copy(update={"linked_identities": LinkedIdentities.model_validate(linked)})


def test_a_later_event_fills_only_what_the_card_lacks() -> None:
    before = card(handles=Handles(ig="ada.l"), phone="+4791234567")
    event = lead(
        {
            "email": "ada@example.no",
            "phone": "+4799999999",
            "handles": {"ig": "other", "whatsapp": "ada"},
        },
        name="Ada L",
    )
    after, changes = filled_from_event(before, event)
    assert (after.email, after.phone, after.name) == ("ada@example.no", "+4791234567", "Ada L")
    assert after.handles.present() == {"ig": "ada.l", "whatsapp": "ada"}
    assert changes == {
        "email": "ada@example.no",
        "name": "Ada L",
        "handles": {"ig": "ada.l", "whatsapp": "ada", "messenger": None},
    }


def test_what_a_person_set_or_cleared_is_never_filled() -> None:
    before = card(email="ada@example.no", handles=Handles(ig="ada.l"))
    cleared = before.model_copy(update={"email": None, "handles": Handles()})
    marked = set_by_change(before, cleared)
    assert marked == {"email", "handles.ig"}
    after, changes = filled_from_event(
        cleared.model_copy(update={"person_fields": marked}),
        lead({"email": "ada@example.no", "handles": {"ig": "ada.l"}}),
    )
    assert (after.email, after.handles.present(), changes) == (None, {}, {})


def test_writing_back_what_was_read_marks_nothing() -> None:
    before = card(email="ada@example.no")
    assert set_by_change(before, before.model_copy()) == frozenset()


def test_an_event_without_linked_identities_fills_only_an_empty_name() -> None:
    event = fact_event(
        EventName.DM_STARTED,
        customer=CUSTOMER,
        contact={"name": "Ada", "email": "someone.else@example.no"},
    )
    after, changes = filled_from_event(card(), event)
    assert (after.name, after.email, changes) == ("Ada", None, {"name": "Ada"})
    kept, none = filled_from_event(card(name="Kari"), event)
    assert (kept.name, none) == ("Kari", {})


def test_custom_keys_given_replace_and_null_removes() -> None:
    assert custom_merged({"tier": "gold", "score": 3}, {"score": None, "region": "west"}) == {
        "tier": "gold",
        "region": "west",
    }


def test_custom_is_bounded_by_key_length_and_8_kib() -> None:
    assert custom_problem({"k": "x" * 8000}) is None
    assert custom_problem({"k": "x" * 8200}) is not None
    assert custom_problem({"k" * 65: 1}) is not None
    assert custom_problem({"": 1}) is not None


def consent_entry(name: EventName, hours: int, **consent: Any) -> Entry:
    event = fact_event(name, hours * H, customer=CUSTOMER)
    if consent:
        event = event.model_copy(update={"consent": Consent.model_validate(consent)})
    found = Entry.of(event)
    assert found is not None
    return found


CONSENT_FACTS = [
    consent_entry(EventName.DM_STARTED, 0, messaging=True, marketing=True),
    consent_entry(EventName.MESSAGE_RECEIVED, 1, email=True),
    consent_entry(EventName.UNSUBSCRIBED, 2),
    Entry.of_consent("person-put", T + 3 * H, Consent.model_validate({"marketing": False})),
    consent_entry(EventName.INVITE_SENT, 4),
]


@given(st.permutations(CONSENT_FACTS))
def test_consent_is_the_key_wise_merge_in_timestamp_order_whatever_the_arrival(
    arrival: list[Entry],
) -> None:
    history = replay(arrival)
    assert history.consent == {"messaging": False, "marketing": False, "email": True}
    assert history.state.opted_out is True


def test_writing_back_the_consent_shown_is_no_new_fact() -> None:
    command = Command(account_id="acme", actor_id="marketer-1", at=T + 5 * H)
    who = ByPerson(command.cause("PUT /x", EventName.STATUS_CHANGED), "acme", "NO")
    history = replay(CONSENT_FACTS[:2])
    customer = card(history=history)
    shown = CustomerPatch(consent=Consent.model_validate(history.consent))
    change = changes.updated(customer, StoredHistory(history), who, shown, None)
    assert (change.entries, change.events) == ((), ())
    new = CustomerPatch(consent=Consent(email=False))
    made = changes.updated(customer, StoredHistory(history), who, new, None)
    assert [e.event_name for e in made.events] == [EventName.CUSTOMER_UPDATED]
    assert made.customer.history.consent == {"messaging": True, "marketing": True, "email": False}
