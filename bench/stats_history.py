"""A synthetic account history for the benchmark: customers through the pipeline, with
drop-offs, replies, no-shows, reminders and NBA changes, spread over the days before as_of."""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status


@functools.cache
def _dumped(state: PipelineState) -> dict[str, Any]:
    return state.model_dump(mode="json")


class History:
    def __init__(self, account_id: str, as_of: datetime, days: int, seed: int) -> None:
        self.account_id = account_id
        self.as_of = as_of
        self.days = days
        self.rng = random.Random(seed)

    def _event(
        self, name: str, customer: uuid.UUID, at: datetime, props: dict[str, Any] | None = None
    ) -> EventEnvelope:
        system = name.startswith(("CUSTOMER_", "STATUS_", "REMINDER_", "NBA_"))
        # Built without validation: a million validated envelopes would take minutes to make
        # on 2 cores, and the consumer validates every one it reads anyway.
        return EventEnvelope.model_construct(
            event_name=EventName(name),
            event_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            timestamp=at,
            account_id=self.account_id,
            customer_id=customer,
            source=Source.SYSTEM if system else Source.IG,
            properties=props or {},
            received_at=at,
            producer="bench",
            user_id=None,
            contact=None,
            consent=None,
            utm=None,
            actor_id=None,
            schema_version=1,
            cause_event_id=None,
        )

    def _moved(
        self, customer: uuid.UUID, at: datetime, before: PipelineState, after: PipelineState
    ) -> EventEnvelope:
        props = {
            "from": _dumped(before),
            "to": _dumped(after),
            "cause_event_id": "bench",
            "cause_event_name": "DM_STARTED",
            "actor": "event",
        }
        return self._event("STATUS_CHANGED", customer, at, props)

    def customer(self, index: int) -> list[EventEnvelope]:
        rng = self.rng
        cid = uuid.UUID(int=rng.getrandbits(128), version=4)
        t = self.as_of - timedelta(seconds=rng.uniform(0, self.days * 86400))
        state = PipelineState()
        created = {
            "customer": {"name": f"Prospect {index}"},
            "state": _dumped(state),
            "created_at": t.isoformat(),
        }
        out = [self._event("DM_STARTED", cid, t), self._event("CUSTOMER_CREATED", cid, t, created)]

        def move(at: datetime, **changes: Any) -> None:
            nonlocal state
            after = state.with_changes(**changes)
            out.append(self._moved(cid, at, state, after))
            state = after

        move(t, status=Status.RELATIONSHIP)
        if rng.random() < 0.8:
            reply = t + timedelta(seconds=rng.expovariate(1 / 600))
            out.append(self._event("MESSAGE_SENT", cid, reply, {"channel": "ig"}))
        t += timedelta(hours=rng.uniform(1, 30))
        if rng.random() < 0.6:
            out.append(self._event("INVITE_SENT", cid, t))
            move(t, status=Status.INVITED)
            t += timedelta(hours=rng.uniform(1, 30))
            if rng.random() < 0.5:
                booking_time = t + timedelta(days=1)
                out.append(
                    self._event(
                        "MEETING_BOOKED", cid, t, {"booking_time": booking_time.isoformat()}
                    )
                )
                move(t, status=Status.QUALIFIED, booking=Booking(state=BookingState.BOOKED))
                t = booking_time
                if rng.random() < 0.3:
                    out.append(self._event("NO_SHOW", cid, t))
                else:
                    out.append(self._event("MEETING_HELD", cid, t))
                    move(t, status=Status.PRESENTATION_SENT)
                    if rng.random() < 0.2:
                        t += timedelta(days=rng.uniform(1, 5))
                        props = {"amount": "99", "currency": "NOK", "product_ids": ["p1"]}
                        out.append(self._event("PURCHASED", cid, t, props))
                        move(t, status=Status.SIGNED_UP)
        reminder = {
            "reminder_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "type": "follow_up_7d",
            "rule": "inactivity",
            "scheduled_for": (t + timedelta(days=7)).isoformat(),
            "trigger_event_id": "bench",
            "automated": True,
        }
        out.append(self._event("REMINDER_CREATED", cid, t, reminder))
        if rng.random() < 0.4:
            done = t + timedelta(days=rng.uniform(1, 8))
            out.append(self._event("FOLLOW_UP_DONE", cid, done))
            completed = {**reminder, "completed_by": "follow_up_done"}
            out.append(self._event("REMINDER_COMPLETED", cid, done, completed))
        return [e for e in out if e.timestamp <= self.as_of]

    def events(self, count: int) -> Iterator[EventEnvelope]:
        produced, index = 0, 0
        while produced < count:
            for event in self.customer(index)[: count - produced]:
                produced += 1
                yield event
            index += 1
