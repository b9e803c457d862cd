"""A customer's history: their stored facts folded into the pipeline state and last activity.

The fold and the fact log are crm_schemas' (what every service shares: entries in
(timestamp, event_id) order, one per event id, a late one re-folds from the start); this
adds what the customers service keeps beside the state: last_activity_at, which depends on
the opt-out state at each fact's instant, and the latest entry's key, stored with the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_schemas.catalog import EventName
from crm_schemas.contact import Consent
from crm_schemas.envelope import EventEnvelope
from crm_schemas.factlog import fold_entries, is_late
from crm_schemas.fold import Fact, PersonMove, activity_time, apply
from crm_schemas.pipeline import PipelineState
from crm_schemas.system_properties import CustomerCreated


class Entry(BaseModel):
    """One stored event of a customer: its pipeline fact (if any) and what it says of activity."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_name: str
    timestamp: AwareDatetime
    fact: Fact | None = None
    # When the event is activity whatever the state (docs/domain.md, 'Events and envelopes').
    activity_at: AwareDatetime | None = None
    # An opt-in counts as activity only for a customer opted out at that instant.
    opts_in: bool = False
    # The consent fact it carries (the keys given), merged key-wise into the card's consent.
    consent: dict[str, Any] | None = None

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.timestamp, self.event_id)

    @classmethod
    def of(cls, event: EventEnvelope) -> Entry | None:
        """The entry an event makes in its customer's history, or None if it makes none."""
        fact = Fact.from_event(event)
        activity = activity_time(event, was_opted_out=False)
        opts_in = event.opts_in and not event.opts_out
        if fact is None and activity is None:
            return None
        return cls(
            event_id=event.event_id,
            event_name=event.event_name.value,
            timestamp=event.timestamp,
            fact=fact,
            activity_at=activity,
            opts_in=opts_in,
            consent=consent_fact(event),
        )

    @classmethod
    def of_consent(cls, event_id: str, timestamp: datetime, consent: Consent) -> Entry:
        """A person's consent given through the API: a consent fact at the request time."""
        return cls(
            event_id=event_id,
            event_name=EventName.CUSTOMER_UPDATED.value,
            timestamp=timestamp,
            consent=consent.model_dump(mode="json", exclude_none=True) or None,
        )

    @classmethod
    def of_interaction(cls, event_id: str, timestamp: datetime, occurred_at: datetime) -> Entry:
        """A logged interaction counts as activity at its occurred_at."""
        return cls(
            event_id=event_id,
            event_name=EventName.INTERACTION_LOGGED.value,
            timestamp=timestamp,
            activity_at=occurred_at,
        )


class History(BaseModel):
    """What a customer's entries give: the pipeline state, last activity, the latest entry."""

    model_config = ConfigDict(frozen=True)

    state: PipelineState = PipelineState()
    last_activity_at: AwareDatetime | None = None
    latest: tuple[AwareDatetime, str] | None = None
    # The card's consent: every consent fact merged key-wise in (timestamp, event_id) order.
    consent: dict[str, Any] | None = None

    def is_late(self, entry: Entry) -> bool:
        return is_late(self.latest, entry.order_key)

    def then(self, entry: Entry) -> History:
        """Apply one entry on top (it must not be late: a late one re-folds, see `refolded`)."""
        activity = entry.activity_at
        if activity is None and entry.opts_in and self.state.opted_out:
            activity = entry.timestamp
        last = self.last_activity_at
        if activity is not None and (last is None or activity > last):
            last = activity
        state = apply(self.state, entry.fact) if entry.fact is not None else self.state
        latest = entry.order_key if self.latest is None else max(self.latest, entry.order_key)
        consent = self.consent
        if entry.consent:
            consent = {**(consent or {}), **entry.consent}
        return History(state=state, last_activity_at=last, latest=latest, consent=consent)


def consent_fact(event: EventEnvelope) -> dict[str, Any] | None:
    """The keys of consent an event states; UNSUBSCRIBED states `messaging: false`."""
    given = event.consent.model_dump(mode="json", exclude_none=True) if event.consent else {}
    if event.event_name is EventName.UNSUBSCRIBED:
        given["messaging"] = False
    return given or None


def replay(entries: Iterable[Entry]) -> History:
    """The history that (timestamp, event_id) order gives, whatever order entries arrived in."""
    return fold_entries(History.then, History(), entries)


@dataclass(frozen=True)
class StoredHistory:
    """A customer's history as a change reads it: what their row holds, their stored
    entries when one of them is at or after the change's time (only then can an entry of
    the change be late among them), and which of the change's entries are stored already
    (a cause repeated with an old Idempotency-Key: a stored entry changes nothing)."""

    history: History
    entries: tuple[Entry, ...] | None = None
    known: frozenset[str] = frozenset()


def refolded(stored: StoredHistory, new: Sequence[Entry]) -> History:
    """The history with a change's new entries (all at the change's time) folded in.

    Without stored entries at or after that time, every stored entry comes before the new
    ones (each a different event), so folding these in order on top of the row's history is
    the full replay.
    """
    if stored.entries is not None:
        return replay([*stored.entries, *new])
    return fold_entries(History.then, stored.history, new)


def creation_entry(
    event_id: str,
    timestamp: datetime,
    state: PipelineState,
    *,
    activity_at: datetime | None = None,
    consent: Consent | None = None,
) -> Entry:
    """Where a person's creation put the customer, as the first entry of their history.

    It is recorded as a person's move (the parts that differ from a new lead) so that a
    re-fold starts from it; an import is not a fact, so no event is derived from it. The
    consent the person gave is a consent fact at the creation's time.
    """
    fact = Fact(
        event_id=event_id,
        event_name=EventName.CUSTOMER_CREATED,
        timestamp=timestamp,
        person_move=PersonMove.between(PipelineState(), state),
    )
    return Entry(
        event_id=event_id,
        event_name=EventName.CUSTOMER_CREATED.value,
        timestamp=timestamp,
        fact=fact,
        activity_at=activity_at,
        consent=consent.model_dump(mode="json", exclude_none=True) or None if consent else None,
    )


def creation_entry_of(event: EventEnvelope, consent: Consent | None = None) -> Entry:
    """The creation entry a CUSTOMER_CREATED records: in an open stage, a creation through
    the API is activity at its time (crm_schemas.fold.activity_time); the consent the person
    gave is a consent fact at that time."""
    created = CustomerCreated.model_validate(event.properties)
    return creation_entry(
        event.event_id,
        created.created_at,
        created.state,
        activity_at=activity_time(event, was_opted_out=False),
        consent=consent,
    )


def person_move_entry(
    event_id: str, timestamp: datetime, before: PipelineState, after: PipelineState
) -> Entry:
    """A person's move, stored under the id of the STATUS_CHANGED that announces it."""
    fact = Fact(
        event_id=event_id,
        event_name=EventName.STATUS_CHANGED,
        timestamp=timestamp,
        person_move=PersonMove.between(before, after),
    )
    return Entry(
        event_id=event_id,
        event_name=EventName.STATUS_CHANGED.value,
        timestamp=timestamp,
        fact=fact,
    )
