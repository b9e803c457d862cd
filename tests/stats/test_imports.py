"""Imports (customers created through the API) against real Kafka, PostgreSQL and Redis: an
import counts as a new lead and in by_status, and in an open stage it is activity for the
pipeline health; no other figure counts it, whatever stage or booking it records."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_servicekit.accounts import Account
from crm_servicekit.clock import FixedClock

from .kafka_support import eventually, produce
from .service_support import RunningStats, StartStats

pytestmark = pytest.mark.integration

ACCOUNT = "imports"
T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
D = timedelta(days=1)


def imported(state: PipelineState, origin: str = "api") -> EventEnvelope:
    return EventEnvelope(
        event_name="CUSTOMER_CREATED",
        event_id=f"created-{uuid.uuid4().hex[:10]}",
        timestamp=T,
        account_id=ACCOUNT,
        customer_id=uuid.uuid4(),
        source="system",
        properties={
            "customer": {"name": "Imported"},
            "state": state.model_dump(mode="json"),
            "created_at": T.isoformat(),
            "origin": origin,
        },
        received_at=T,
        producer="customers",
    )


IMPORTS = [
    imported(PipelineState()),
    imported(PipelineState(status=Status.QUALIFIED, booking=Booking(state=BookingState.BOOKED))),
    imported(PipelineState(status=Status.QUALIFIED, booking=Booking(state=BookingState.NO_SHOW))),
    imported(PipelineState(status=Status.SIGNED_UP, joined_team=True)),
    imported(PipelineState(status=Status.NOT_NOW)),
]


async def figures(stats: RunningStats, as_of: datetime) -> dict[str, Any]:
    return await stats.custom_figures(ACCOUNT, T - D, T + 30 * D, as_of)


async def test_an_import_counts_as_a_new_lead_and_nothing_else(
    start_stats: StartStats, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=3)
    await produce(kafka_bootstrap, IMPORTS, topic)
    async with start_stats(
        topic=topic,
        accounts=[Account(account_id=ACCOUNT)],
        clock=FixedClock(T + D),
    ) as stats:
        body = await eventually(
            lambda: figures(stats, T + D), lambda b: b["counts"]["new_leads"] == len(IMPORTS)
        )
        assert body["counts"] == {
            "new_leads": 5,
            "dms_started": 0,
            "invites_sent": 0,
            "videos_sent": 0,
            "meetings_booked": 0,
            "meetings_held": 0,
            "no_shows": 0,
            "signed_up": 0,
            "follow_ups_done": 0,
            "reminders_due": 0,
            "reminders_overdue": 0,
            "next_actions_overdue": 0,
        }
        assert body["by_status"] == {
            "lead": 1,
            "relationship": 0,
            "invited": 0,
            "qualified": 2,
            "presentation_sent": 0,
            "follow_up": 0,
            "signed_up": 1,
            "not_now": 1,
        }
        assert body["funnel"]["cohort"] == 0
        assert body["speed_to_lead"]["answered"] == 0
        # The three open imports were active at their creation, a day before as_of...
        assert body["pipeline_health"] == pytest.approx(1.0)
        # ...and more than 7 days before this one.
        later = await figures(stats, T + 8 * D)
        assert later["pipeline_health"] == pytest.approx(0.0)
