"""A creation through the API in an open stage is activity (docs/domain.md, 'Activity'):
CUSTOMER_CREATED says `origin: api`, and the card's last_activity_at is the creation's time;
an import at signed_up or not_now is no activity; a customer a fact created says `event`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope

from .conftest import Service
from .events import T, fact_event
from .kafka_io import eventually, named, produce, read_events
from .test_api_customers import create

H = timedelta(hours=1)


def z(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")


async def creation_of(service: Service, customer: str) -> EventEnvelope:
    async def found() -> list[EventEnvelope]:
        events = await read_events(service.bootstrap, service.topic)
        mine = [e for e in events if str(e.customer_id) == customer]
        return named(mine, EventName.CUSTOMER_CREATED)

    (created,) = await eventually(found, lambda events: len(events) == 1)
    return created


async def card(service: Service, customer: str) -> dict[str, Any]:
    answer = await service.call("GET", f"/api/customers/{customer}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(
    ("status", "pipeline"),
    [(None, None), ("invited", None), ("Booked", "recruiting"), ("Follow-up", "frazer")],
)
async def test_an_api_creation_in_an_open_stage_is_activity_at_its_time(
    service: Service, status: str | None, pipeline: str | None
) -> None:
    fields: dict[str, Any] = {"name": "Kari"}
    if status is not None:
        fields["status"] = status
    if pipeline is not None:
        fields["pipeline"] = pipeline
    created = await create(service, **fields)
    assert created["last_activity_at"] == created["created_at"]
    assert (await card(service, created["id"]))["last_activity_at"] == created["created_at"]
    announced = await creation_of(service, created["id"])
    assert announced.properties["origin"] == "api"
    assert z(announced.timestamp) == created["created_at"]


@pytest.mark.parametrize("status", ["signed_up", "not_now"])
async def test_an_import_at_signed_up_or_not_now_has_no_last_activity(
    service: Service, status: str
) -> None:
    created = await create(service, name="Kari", status=status)
    assert created["last_activity_at"] is None
    assert (await card(service, created["id"]))["last_activity_at"] is None
    announced = await creation_of(service, created["id"])
    assert (announced.properties["origin"], announced.properties["state"]["status"]) == (
        "api",
        status,
    )


async def test_later_activity_moves_it_and_an_earlier_fact_does_not(service: Service) -> None:
    service.clock.set(T + 2 * H)
    created = await create(service, name="Kari")
    customer = uuid.UUID(created["id"])
    # Stamped before the creation (late): the creation stays the latest activity.
    early = fact_event(EventName.MESSAGE_SENT, H, customer=customer)
    later = fact_event(EventName.INVITE_SENT, 5 * H, customer=customer)
    await produce(service.bootstrap, service.topic, [early])
    marker = fact_event(EventName.MEETING_CANCELED, 3 * H, customer=customer)
    await produce(service.bootstrap, service.topic, [marker])
    settled = await eventually(
        lambda: card(service, created["id"]), lambda c: c["booking"]["state"] == "canceled"
    )
    assert settled["last_activity_at"] == created["created_at"]
    await produce(service.bootstrap, service.topic, [later])
    moved = await eventually(
        lambda: card(service, created["id"]), lambda c: c["status"] == "invited"
    )
    assert moved["last_activity_at"] == z(later.timestamp)


async def test_a_customer_created_by_a_fact_is_announced_with_origin_event(
    service: Service,
) -> None:
    customer = uuid.uuid4()
    dm = fact_event(EventName.DM_STARTED, H, customer=customer)
    await produce(service.bootstrap, service.topic, [dm])
    announced = await creation_of(service, str(customer))
    assert announced.properties["origin"] == "event"
    assert (await card(service, str(customer)))["last_activity_at"] == z(dm.timestamp)
