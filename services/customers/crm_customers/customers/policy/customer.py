"""A customer as this service holds it: their own fields, the next action, their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_customers.customers.policy.history import History
from crm_schemas.contact import Consent, Handles, Utm
from crm_schemas.next_action import NextAction, NextActionState
from crm_schemas.pipeline import PipelineState
from crm_schemas.system_properties import CustomerSnapshot

# The customer's own fields, in the order the API and CUSTOMER_* events name them.
OWN_FIELDS: tuple[str, ...] = (
    "name",
    "email",
    "phone",
    "handles",
    "source",
    "country",
    "language",
    "notes",
    "prospect_why",
    "consent",
    "utm",
    "custom",
)
# Those the customer model keeps as fields (consent is their history's, see `consent`).
MODEL_OWN_FIELDS = frozenset(OWN_FIELDS) - {"consent"}


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    account_id: str
    id: UUID
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    handles: Handles = Handles()
    source: str | None = None
    country: str | None = None
    language: str | None = None
    notes: str | None = None
    prospect_why: str | None = None
    next_action: str | None = None
    next_action_date: AwareDatetime | None = None
    person_next_action: str | None = None
    person_next_action_date: AwareDatetime | None = None
    nba_title: str | None = None
    nba_due_at: AwareDatetime | None = None
    utm: Utm | None = None
    # The account's own fields on the card (docs/domain.md; at most 8 KiB as compact JSON).
    custom: dict[str, Any] = {}
    # The contact fields a person set or cleared ("name", "email", "phone", "handles.ig", ...):
    # an event never overwrites or refills them.
    person_fields: frozenset[str] = frozenset()
    history: History = History()
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @property
    def state(self) -> PipelineState:
        return self.history.state

    @property
    def person_action(self) -> NextAction | None:
        if self.person_next_action is None:
            return None
        return NextAction(self.person_next_action, self.person_next_action_date, by_person=True)

    @property
    def next_action_state(self) -> NextActionState:
        """What decides the card's next action (crm_schemas.next_action), as stored."""
        chosen = (self.person_next_action, self.person_next_action_date)
        by_person = self.person_action is not None and chosen == (
            self.next_action,
            self.next_action_date,
        )
        shown = NextAction(self.next_action, self.next_action_date, by_person=by_person)
        return NextActionState(self.person_action, self.nba_title, self.nba_due_at, shown)

    @property
    def consent(self) -> Consent | None:
        """Every consent fact merged key-wise in timestamp order (the card's consent)."""
        return Consent.model_validate(self.history.consent) if self.history.consent else None

    def own_fields(self) -> dict[str, Any]:
        """The own fields as JSON values (what CUSTOMER_CREATED / UPDATED carry)."""
        fields = self.model_dump(mode="json", include=set(MODEL_OWN_FIELDS), exclude_none=False)
        fields["consent"] = self.history.consent
        return {name: fields[name] for name in OWN_FIELDS}

    def snapshot(self) -> CustomerSnapshot:
        return CustomerSnapshot.model_validate(
            {
                **self.own_fields(),
                "next_action": self.next_action,
                "next_action_date": self.next_action_date,
            }
        )

    def touched(self, at: datetime) -> Customer:
        return self.model_copy(update={"updated_at": max(self.updated_at, at)})
