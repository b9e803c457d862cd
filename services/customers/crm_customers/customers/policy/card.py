"""The card's contact data and custom fields, decided without I/O: what a later event fills
in, which fields a person set or cleared (never filled by an event afterwards), and the
account's own fields (docs/domain.md, contact data in later events; API.md, `custom`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from crm_customers.customers.policy.customer import Customer
from crm_schemas.contact import Handles
from crm_schemas.envelope import EventEnvelope

PLATFORMS: Final = tuple(Handles.model_fields)
# The contact fields an event may fill and a person may set or clear, by name.
CONTACT_FIELDS: Final = ("name", "email", "phone", *(f"handles.{p}" for p in PLATFORMS))

MAX_CUSTOM_BYTES: Final = 8 * 1024
MAX_CUSTOM_KEY_LENGTH: Final = 64


def custom_size(custom: Mapping[str, Any]) -> int:
    """The custom fields' size as compact JSON (UTF-8 bytes), which the 8 KiB limit counts."""
    compact = json.dumps(custom, separators=(",", ":"), ensure_ascii=False)
    return len(compact.encode())


def custom_problem(custom: Mapping[str, Any]) -> str | None:
    """Why these custom fields cannot be kept, or None."""
    for key in custom:
        if not 1 <= len(key) <= MAX_CUSTOM_KEY_LENGTH:
            return f"keys must be 1 to {MAX_CUSTOM_KEY_LENGTH} characters long"
    if custom_size(custom) > MAX_CUSTOM_BYTES:
        return f"must be at most {MAX_CUSTOM_BYTES} bytes as compact JSON (8 KiB)"
    return None


def custom_merged(current: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keys given replace the current ones; a key given as null is removed."""
    merged = dict(current)
    for key, value in (given or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _contact_values(customer: Customer) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
    }
    for platform in PLATFORMS:
        values[f"handles.{platform}"] = getattr(customer.handles, platform)
    return values


def set_on_creation(customer: Customer) -> frozenset[str]:
    """The contact fields a person's creation set: those it gave a value."""
    return frozenset(k for k, v in _contact_values(customer).items() if v)


def set_by_change(before: Customer, after: Customer) -> frozenset[str]:
    """The contact fields a person set or cleared, with those a PUT changes. Writing back
    what was read marks nothing: a field with a value is never overwritten anyway, and an
    empty one written back empty stays open to an event's value."""
    was, now = _contact_values(before), _contact_values(after)
    return before.person_fields | {k for k in CONTACT_FIELDS if was[k] != now[k]}


def filled_from_event(customer: Customer, event: EventEnvelope) -> tuple[Customer, dict[str, Any]]:
    """The customer with the contact data of a later event where the card has none and no
    person set or cleared it, and the changed fields (what CUSTOMER_UPDATED carries).

    Identities come from `linked_identities` (those ingest holds for this customer, so the
    card never shows one that is another's); the name from the event's contact."""
    offered: dict[str, str | None] = {}
    linked = event.linked_identities
    if linked is not None:
        offered |= {"email": linked.email, "phone": linked.phone}
        handles = linked.handles.present() if linked.handles else {}
        offered |= {f"handles.{p}": v for p, v in handles.items()}
    if event.contact is not None and event.contact.name:
        offered["name"] = event.contact.name
    current = _contact_values(customer)
    taken = {
        k: v
        for k, v in offered.items()
        if v and not current.get(k) and k not in customer.person_fields
    }
    if not taken:
        return customer, {}
    handles = customer.handles.model_dump() | {
        k.removeprefix("handles."): v for k, v in taken.items() if k.startswith("handles.")
    }
    update: dict[str, Any] = {k: v for k, v in taken.items() if not k.startswith("handles.")}
    changes = dict(update)
    if len(update) < len(taken):
        update["handles"] = Handles.model_validate(handles)
        changes["handles"] = handles
    filled = customer.model_copy(update=update).touched(event.timestamp)
    return filled, changes
