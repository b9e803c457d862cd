"""A scripted week of one account (Europe/Oslo, DST ends Sunday 25 Oct 2026), shared by the
pure KPI tests and the integration tests. Expectations are computed by hand in
EXPECTED_WEEK; the comments next to the events say which figure each one moves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status

OSLO = "oslo"
NY = "ny"
NAMESPACE = uuid.UUID("6f1c2f8e-52a3-4c4e-9d8e-3f0b1f2a9c11")
A, B, C, D, E, F, G, H = (uuid.uuid5(NAMESPACE, name) for name in "ABCDEFGH")
# Sunday 25 Oct 2026, 23:45 local (CET, after the DST change at 01:00Z).
AS_OF = datetime(2026, 10, 25, 22, 45, tzinfo=UTC)
WEEK_FROM = datetime(2026, 10, 18, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
WEEK_TO = datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # next Monday 00:00 CET


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def event(
    name: str,
    customer: uuid.UUID | None,
    when: datetime,
    properties: dict[str, Any] | None = None,
    *,
    account: str = OSLO,
    event_id: str | None = None,
    consent: dict[str, Any] | None = None,
) -> EventEnvelope:
    system = name.startswith(("CUSTOMER_", "STATUS_", "REMINDER_", "NBA_", "COACHING_"))
    return EventEnvelope.model_validate(
        {
            "event_name": name,
            "event_id": event_id
            or f"{name.lower()}-{(customer or uuid.UUID(int=0)).hex[:8]}-"
            f"{when.strftime('%m%d%H%M')}",
            "timestamp": when,
            "account_id": account,
            "customer_id": customer,
            "source": "system" if system else "ig",
            "properties": properties or {},
            "consent": consent,
            "received_at": when,
            "producer": "tests",
        }
    )


def state(status: Status, booking: BookingState = BookingState.NONE, **kw: Any) -> dict[str, Any]:
    return PipelineState(status=status, booking=Booking(state=booking), **kw).model_dump(
        mode="json"
    )


def moved(customer: uuid.UUID, when: datetime, to: dict[str, Any]) -> EventEnvelope:
    props = {
        "from": state(Status.LEAD),
        "to": to,
        "cause_event_id": "cause",
        "cause_event_name": "DM_STARTED",
        "actor": "event",
    }
    return event("STATUS_CHANGED", customer, when, props)


def created(customer: uuid.UUID, when: datetime, to: dict[str, Any]) -> EventEnvelope:
    props = {"customer": {"name": "Kari"}, "state": to, "created_at": when.isoformat()}
    return event("CUSTOMER_CREATED", customer, when, props)


def reminder(
    name: str, customer: uuid.UUID, when: datetime, scheduled: datetime, kind: str, **kw: Any
) -> EventEnvelope:
    props = {
        "reminder_id": str(uuid.uuid5(NAMESPACE, f"{customer}-{kind}-{scheduled}")),
        "type": kind,
        "rule": "manual" if kind == "custom" else "inactivity",
        "scheduled_for": scheduled.isoformat(),
        "trigger_event_id": "t",
        "automated": kind != "custom",
        **kw,
    }
    return event(name, customer, when, props)


def chose_next_action(customer: uuid.UUID, when: datetime, due: datetime) -> EventEnvelope:
    """A person's next action, as the customers service announces it (with what is shown)."""
    chosen = {"next_action": "Call them", "next_action_date": due.isoformat()}
    person = {"person_next_action": "Call them", "person_next_action_date": due.isoformat()}
    changes = {**chosen, "next_action_by": "person", **person}
    return event("CUSTOMER_UPDATED", customer, when, {"changes": changes})


def nba_changed(
    customer: uuid.UUID, when: datetime, due: datetime | None, action: str = "follow_up"
) -> EventEnvelope:
    """The NBA's recommendation: the card mirrors its title and due_at unless a person chose."""
    recommendation = {
        "customer_id": str(customer),
        "action": action,
        "title": "Follow up",
        "reason": "the conversation goes on",
        "priority": 50,
        "urgency": "medium",
        "due_at": due.isoformat() if due else None,
        "computed_at": when.isoformat(),
    }
    return event("NBA_CHANGED", customer, when, {"recommendation": recommendation})


def booked(customer: uuid.UUID, when: datetime) -> EventEnvelope:
    return event("MEETING_BOOKED", customer, when, {"booking_time": (when + timedelta(days=1))})


LATE_INVITE = event("INVITE_SENT", A, at(19, 8))  # delivered last: a late event


def oslo_week() -> list[EventEnvelope]:
    events = [
        # A: DM, answered in 180 s, booked, no-show, rebooked within 14 days, held, purchased.
        event("DM_STARTED", A, at(19, 7)),
        event("MESSAGE_SENT", A, at(19, 7, 3), {"channel": "ig"}),
        booked(A, at(20, 10)),
        event("NO_SHOW", A, at(21, 12)),
        booked(A, at(22, 9)),
        event("MEETING_HELD", A, at(23, 9)),
        event("PURCHASED", A, at(24, 10), {"amount": "49", "currency": "NOK", "product_ids": []}),
        moved(A, at(24, 10), state(Status.SIGNED_UP, BookingState.HELD)),
        chose_next_action(A, at(24, 11), at(25, 9)),
        # B: qualified by a lead form (cohort without a DM), booked, no-show, no rebook.
        event("LEAD_QUALIFIED", B, at(20, 8)),
        booked(B, at(21, 8)),
        event("NO_SHOW", B, at(22, 8)),
        moved(B, at(22, 8), state(Status.QUALIFIED, BookingState.NO_SHOW)),
        reminder("REMINDER_CREATED", B, at(22, 8), at(26, 8), "follow_up_1d"),  # not due yet
        # C: DM answered in 1200 s, invited; its next action is overdue; a reminder due.
        event("DM_STARTED", C, at(21, 10)),
        event("MESSAGE_SENT", C, at(21, 10, 20), {"channel": "ig"}),
        event("INVITE_SENT", C, at(21, 11)),
        moved(C, at(21, 11), state(Status.INVITED)),
        chose_next_action(C, at(21, 12), at(25, 12)),
        reminder("REMINDER_CREATED", C, at(21, 11), at(25, 22), "follow_up_7d"),  # due 45 min
        # D: a DM on Sunday 23:30 local, unanswered; a reminder overdue by 1h45m.
        event("DM_STARTED", D, at(25, 22, 30)),
        created(D, at(25, 22, 30), state(Status.RELATIONSHIP)),
        chose_next_action(D, at(25, 22, 31), at(26, 9)),
        reminder("REMINDER_CREATED", D, at(25, 20), at(25, 21), "custom"),
        # E: a DM on the Sunday before (23:30 CEST = 21:30Z): outside the week.
        event("DM_STARTED", E, at(18, 21, 30)),
        event("MESSAGE_SENT", E, at(18, 21, 31), {"channel": "ig"}),
        created(E, at(18, 21, 30), state(Status.RELATIONSHIP)),
        # F: a DM after as_of: cut.
        event("DM_STARTED", F, at(25, 23, 30)),
        # G: the DMO worker.
        event("INVITE_SENT", G, at(19, 10)),
        event("FOLLOW_UP_DONE", G, at(19, 12)),
        event("INVITE_SENT", G, at(20, 9)),
        reminder(
            "REMINDER_COMPLETED", G, at(20, 15), at(20, 14), "follow_up_24h", completed_by="person"
        ),
        reminder(
            "REMINDER_COMPLETED",
            G,
            at(21, 12),
            at(21, 11),
            "follow_up_7d",
            completed_by="follow_up_done",
        ),  # counted as its FOLLOW_UP_DONE, not again
        event("INVITE_SENT", G, at(22, 10)),
        reminder("REMINDER_COMPLETED", G, at(22, 11), at(22, 10), "custom", completed_by="person"),
        event("INVITE_SENT", G, at(23, 10)),
        event("FOLLOW_UP_DONE", G, at(23, 11)),
        event("INVITE_SENT", G, at(24, 10)),
        event("FOLLOW_UP_DONE", G, at(24, 12)),
        event("INVITE_SENT", G, at(24, 21, 30)),  # Saturday 23:30 CEST
        event("INVITE_SENT", G, at(24, 22, 30)),  # Sunday 00:30 CEST
        event("INVITE_SENT", G, at(25, 0, 30)),  # Sunday 02:30 CEST, before the change
        event("FOLLOW_UP_DONE", G, at(25, 22, 30)),  # Sunday 23:30 CET
        moved(G, at(19, 10), state(Status.INVITED)),
        # H: more invites; opted out.
        event("INVITE_SENT", H, at(20, 9)),
        event("INVITE_SENT", H, at(22, 9)),
        event("FOLLOW_UP_DONE", H, at(22, 12)),
        event("INVITE_SENT", H, at(23, 9, 30)),
        moved(H, at(23, 9, 30), state(Status.INVITED, opted_out=True)),
    ]
    duplicate = event("INVITE_SENT", G, at(20, 9))
    return [*events, duplicate, LATE_INVITE]


EXPECTED_COUNTS = {
    "new_leads": 6,  # A B C D G H (E before the week, F after as_of)
    "dms_started": 3,  # A C D
    "invites_sent": 13,
    "videos_sent": 0,
    "meetings_booked": 3,
    "meetings_held": 1,
    "no_shows": 2,
    "signed_up": 1,
    "follow_ups_done": 6,
    "reminders_due": 2,  # C (45 min) and D (1h45m)
    "reminders_overdue": 1,  # D
    "next_actions_overdue": 1,  # C (A's is past too but A is signed up)
}
EXPECTED_BY_STATUS = {
    "lead": 0,
    "relationship": 2,
    "invited": 3,
    "qualified": 1,
    "presentation_sent": 0,
    "follow_up": 0,
    "signed_up": 1,
    "not_now": 0,
}
EXPECTED_SALES = {
    "New": 5,
    "Qualified": 0,
    "Booked": 0,
    "Held": 0,
    "Won": 1,
    "Lost": 0,
    "No-Show": 1,
}
EXPECTED_FUNNEL = {
    "cohort": 4,  # A B C D
    "qualified": 2,
    "booked": 2,
    "held": 1,
    "signed_up": 1,
    "rates": {"qualified": 0.5, "booked": 1.0, "held": 0.5, "signed_up": 1.0},
    "show_rate": 0.5,
    "no_show_rate": 1.0,
    "rebook_recovery": 0.5,
}
EXPECTED_SPEED = {
    "median_s": 180.0,
    "p90_s": 1200.0,
    "answered": 2,
    "unanswered": 1,
    "sla_5min_ratio": 1 / 3,
}
EXPECTED_DMO = {
    "today": {
        "invites": 2,
        "invites_target": 2,
        "invites_pct": 1.0,
        "follow_ups": 1,
        "follow_ups_target": 1,
        "follow_ups_pct": 1.0,
        "met": True,
    },
    "week": {
        "invites": 13,
        "invites_target": 14,
        "invites_pct": 13 / 14,
        "follow_ups": 6,
        "follow_ups_target": 7,
        "follow_ups_pct": 6 / 7,
        "met": False,
    },
    "streak_days": 4,  # Thu to Sun; Wednesday had one invite
}
# Oslo local days of the week, newest first: (invites, follow-ups).
EXPECTED_DAYS = [
    ("2026-10-25", 2, 1),
    ("2026-10-24", 2, 1),
    ("2026-10-23", 2, 1),
    ("2026-10-22", 2, 1),
    ("2026-10-21", 1, 0),
    ("2026-10-20", 2, 1),
    ("2026-10-19", 2, 1),
]
EXPECTED_HEALTH = 0.8  # B C D G of B C D E G (H opted out, A signed up, E quiet 7 days)


# New York: DST ends Sunday 1 Nov 2026 at 06:00Z; that local day is 25 hours long.
NY_AS_OF = datetime(2026, 11, 2, 4, 45, tzinfo=UTC)  # Sunday 23:45 EST


def ny_sunday() -> list[EventEnvelope]:
    x = uuid.uuid5(NAMESPACE, "ny-x")
    return [
        event("INVITE_SENT", x, at(1, 3, 59, month=11), account=NY),  # Saturday 23:59 EDT
        event("INVITE_SENT", x, at(1, 4, 30, month=11), account=NY),  # Sunday 00:30 EDT
        event("INVITE_SENT", x, at(2, 4, 30, month=11), account=NY),  # Sunday 23:30 EST
        event("INVITE_SENT", x, at(2, 5, 30, month=11), account=NY),  # Monday, after as_of
    ]
