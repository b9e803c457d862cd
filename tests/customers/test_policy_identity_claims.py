"""What a person's change of identities claims: the complete set after it and the values it
drops (customers/policy/identities.py, pure)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from crm_customers.customers.policy import changes
from crm_customers.customers.policy.changes import ByPerson
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import StoredHistory
from crm_customers.customers.policy.identities import complete_set, dropped
from crm_customers.customers.schemas import CustomerPatch
from crm_schemas.catalog import EventName
from crm_schemas.causes import Command
from crm_schemas.contact import Handles

from .events import T


def person() -> ByPerson:
    command = Command(account_id="acme", actor_id="marketer-1", at=T + timedelta(hours=1))
    return ByPerson(command.cause("PUT /x", EventName.STATUS_CHANGED), "acme", "NO")


def kari() -> Customer:
    return Customer(
        account_id="acme",
        id=uuid.uuid4(),
        name="Kari",
        email="kari@example.no",
        phone="+4741234567",
        handles=Handles(ig="kari", whatsapp="kari.w"),
        created_at=T,
        updated_at=T,
    )


def test_a_new_email_claims_the_complete_set_and_releases_the_old_email() -> None:
    customer = kari()
    patch = CustomerPatch(email="kari.n@example.no")
    change = changes.updated(customer, StoredHistory(customer.history), person(), patch, None)
    assert change.identities == {
        "email": "kari.n@example.no",
        "phone": "+4741234567",
        "handles": {"ig": "kari", "whatsapp": "kari.w"},
    }
    assert change.release == {"email": "kari@example.no"}


def test_cleared_values_are_released_and_unchanged_ones_claim_nothing() -> None:
    customer = kari()
    history = StoredHistory(customer.history)
    patch = CustomerPatch.model_validate({"phone": None, "handles": {"ig": "kari"}})
    change = changes.updated(customer, history, person(), patch, None)
    assert change.identities == {"email": "kari@example.no", "handles": {"ig": "kari"}}
    assert change.release == {"phone": "+4741234567", "handles": {"whatsapp": "kari.w"}}
    same = changes.updated(customer, history, person(), CustomerPatch(name="Kari N"), None)
    assert (same.identities, same.release) == ({}, {})


def test_the_values_attempted_beyond_the_committed_set_are_released() -> None:
    committed = complete_set(kari())
    attempted = {"email": "typo@example.no", "phone": "+4741234567", "handles": {"ig": "k2"}}
    assert dropped(committed, attempted) == {"email": "typo@example.no", "handles": {"ig": "k2"}}
