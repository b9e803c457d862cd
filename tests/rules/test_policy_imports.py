"""A customer created through the API starts where the import put them, not as a new lead."""

from __future__ import annotations

import uuid

from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.replay import CustomerReplay
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status

from .history import ACCOUNT, T0, H, event, open_times, replay


def created(customer: uuid.UUID, state: PipelineState) -> EventEnvelope:
    return EventEnvelope(
        event_name="CUSTOMER_CREATED",
        event_id=f"created-{customer.hex[:8]}",
        timestamp=T0,
        account_id="acme",
        customer_id=customer,
        source="system",
        properties={
            "customer": {"name": "Imported"},
            "state": state.model_dump(mode="json"),
            "created_at": T0.isoformat(),
        },
        received_at=T0,
        producer="customers",
    )


def test_imported_signed_up_customer_gets_no_automation() -> None:
    customer = uuid.uuid4()
    history = [
        created(customer, PipelineState(status=Status.SIGNED_UP)),
        event("VIDEO_SENT", T0 + H, customer),
    ]
    assert open_times(replay(history)) == {}


def test_imported_not_now_customer_is_reopened_by_a_dm_only() -> None:
    customer = uuid.uuid4()
    start = created(customer, PipelineState(status=Status.NOT_NOW))
    assert open_times(replay([start, event("VIDEO_SENT", T0 + H, customer)])) == {}
    reopened = replay([start, event("DM_STARTED", T0 + H, customer)])
    assert open_times(reopened) == {"follow_up_7d": [T0 + H + 7 * 24 * H]}


def test_imported_booked_customer_chases_a_no_show() -> None:
    customer = uuid.uuid4()
    state = PipelineState(status=Status.QUALIFIED, booking=Booking(state=BookingState.BOOKED))
    found = open_times(replay([created(customer, state), event("NO_SHOW", T0 + H, customer)]))
    assert found["follow_up_2h"] == [T0 + 3 * H]


def test_a_creation_arriving_after_a_fact_replays_from_the_imported_start() -> None:
    customer = uuid.uuid4()
    video = CustomerEvent.from_envelope(event("VIDEO_SENT", T0 + H, customer))
    replaying = CustomerReplay(ACCOUNT, customer, [video])
    assert any(r.is_open for r in replaying.reminders.values())
    start = CustomerEvent.from_envelope(created(customer, PipelineState(status=Status.SIGNED_UP)))
    assert not any(r.is_open for r in replaying.add(start).values())
