"""What activity is (docs/domain.md, 'Activity'): the one definition every service reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_schemas.catalog import ACTIVITY_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import activity_time
from crm_schemas.pipeline import PipelineState, Status

from .factories import envelope_data

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def created(status: Status, origin: str | None) -> EventEnvelope:
    properties = {
        "customer": {"name": "Kari"},
        "state": PipelineState(status=status).model_dump(mode="json"),
        "created_at": AT.isoformat(),
    }
    if origin is not None:
        properties["origin"] = origin
    return EventEnvelope.model_validate(envelope_data(EventName.CUSTOMER_CREATED, properties))


@pytest.mark.parametrize("status", [s for s in Status if s.is_open])
def test_a_creation_through_the_api_in_an_open_stage_is_activity_at_its_timestamp(
    status: Status,
) -> None:
    assert activity_time(created(status, "api"), was_opted_out=False) == AT
    assert activity_time(created(status, "api"), was_opted_out=True) == AT


@pytest.mark.parametrize(
    ("status", "origin"),
    [
        (Status.SIGNED_UP, "api"),
        (Status.NOT_NOW, "api"),
        (Status.LEAD, "event"),
        (Status.RELATIONSHIP, "event"),
        (Status.LEAD, None),
    ],
)
def test_an_import_out_of_the_open_stages_or_a_creation_by_a_fact_is_not(
    status: Status, origin: str | None
) -> None:
    assert activity_time(created(status, origin), was_opted_out=False) is None


def test_creation_is_not_in_the_unconditional_list() -> None:
    # It depends on the creation's origin and stage, so every service asks activity_time.
    assert EventName.CUSTOMER_CREATED not in ACTIVITY_EVENTS
