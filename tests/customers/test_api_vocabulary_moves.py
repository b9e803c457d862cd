"""Every vocabulary drivable through the API: terms with any dash, booking terms in a PUT
(their booking events through the outbox), and next-stage in recruiting and sales."""

from __future__ import annotations

import uuid
from typing import Any

from rebuild_support import outbox_sent

from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import Fact

from .conftest import Service
from .kafka_io import eventually, named
from .test_api_customers import create, field_errors
from .test_api_moves import customers_events, next_stage, put, topic_events
from .test_repeated_cause import _forget_answers

MEETING = "2026-11-05T10:00:00Z"


async def outbox(service: Service, customer: dict[str, Any]) -> list[EventEnvelope]:
    """The customer's events as the service wrote them to its outbox, in that order: read from
    the topic once the relay has sent (and deleted) every row written so far."""

    await eventually(lambda: outbox_sent(str(service.settings.database_url)), bool)
    found = await customers_events(service)
    return [event for event in found if str(event.customer_id) == customer["id"]]


async def shown(service: Service, customer: dict[str, Any], pipeline: str) -> str:
    path = f"/api/customers/{customer['id']}"
    term: str = (await service.call("GET", path, params={"pipeline": pipeline})).json()[
        "pipeline_status"
    ]
    return term


async def test_no_show_with_any_dash_or_spelling(service: Service) -> None:
    for spelling in ("No\u2011Show", "No\u2014Show", "no show", "NO_SHOW"):
        created = await create(service, name="Kari", status=spelling, pipeline="frazer")
        assert (created["pipeline_status"], created["booking"]["state"]) == ("No-Show", "no_show")
    refused = await service.call(
        "POST",
        "/api/customers",
        json={"name": "x", "status": "No\u2011Shows"},
        params={"pipeline": "frazer"},
    )
    assert field_errors(refused) == [["body", "status"]]


async def test_put_booked_on_a_qualified_customer_is_a_booking(service: Service) -> None:
    kari = await create(service, name="Kari", status="Qualified", pipeline="recruiting")
    answer = await put(
        service, kari, {"status": "Booked", "booking": {"time": MEETING}}, pipeline="recruiting"
    )
    assert answer.status_code == 200, answer.text
    card = answer.json()
    assert (card["pipeline_status"], card["status"]) == ("Booked", "qualified")
    assert card["booking"] == {"state": "booked", "time": MEETING, "booking_id": None}
    assert await shown(service, kari, "recruiting") == "Booked"
    written = await outbox(service, kari)
    (booked,) = named(written, EventName.MEETING_BOOKED)
    assert booked.properties["booking_time"] == MEETING
    assert (booked.source.value, booked.actor_id) == ("manual", "marketer-1")
    # A fact like a webhook's: rules, nba and stats fold it as one, so the NBA follows.
    assert booked.event_name in EXTERNAL_EVENTS
    assert Fact.from_event(booked) is not None
    (moved,) = named(written, EventName.STATUS_CHANGED)
    assert moved.properties["cause_event_id"] == booked.event_id
    published = await topic_events(service, 3)
    assert [e.event_id for e in named(published, EventName.MEETING_BOOKED)] == [booked.event_id]


async def test_booked_without_its_time_is_422_naming_it(service: Service) -> None:
    kari = await create(service, name="Kari", status="Qualified", pipeline="sales")
    refused = await put(service, kari, {"status": "booked"}, pipeline="sales")
    assert field_errors(refused) == [["body", "booking", "time"]]
    assert await shown(service, kari, "sales") == "Qualified"
    stateless = await put(service, kari, {"booking": {"time": MEETING}})
    assert field_errors(stateless) == [["body", "booking", "state"]]
    unknown = {"id": str(uuid.uuid4())}
    assert field_errors(await put(service, unknown, {"booking": {"time": MEETING}})) == [
        ["body", "booking", "state"]
    ]


async def test_qualified_cancels_the_booking_and_the_shown_term_is_a_no_op(
    service: Service,
) -> None:
    kari = await create(service, name="Kari", status="Booked", pipeline="sales")
    again = await put(service, kari, {"status": "booked"}, pipeline="sales")
    assert again.status_code == 200, again.text
    assert again.json()["updated_at"] == kari["updated_at"]
    no_show = await put(service, kari, {"status": "No\u2014Show"}, pipeline="sales")
    assert no_show.json()["pipeline_status"] == "No-Show"
    canceled = await put(service, kari, {"status": "Qualified"}, pipeline="sales")
    assert canceled.json()["pipeline_status"] == "Qualified"
    assert canceled.json()["booking"]["state"] == "canceled"
    written = await outbox(service, kari)
    assert [e.event_name for e in written if e.event_name in EXTERNAL_EVENTS] == [
        EventName.NO_SHOW,
        EventName.MEETING_CANCELED,
    ]


async def test_creation_with_a_booking_term_emits_no_booking_event(service: Service) -> None:
    for term in ("Booked", "Held", "No-Show"):
        created = await create(service, name="Kari", status=term, pipeline="recruiting")
        assert created["pipeline_status"] == term
        written = await outbox(service, created)
        assert [e.event_name for e in written] == [EventName.CUSTOMER_CREATED]


async def test_next_stage_walks_recruiting_from_new_to_joined(service: Service) -> None:
    kari = await create(service, name="Kari")
    walked = [await shown(service, kari, "recruiting")]
    missing = []
    body: dict[str, Any] = {}
    while len(walked) < 5:
        answer = await next_stage(service, kari, body, pipeline="recruiting")
        if answer.status_code == 409:
            missing.append(answer.json()["missing"])
            body = {"prospect_why": "more time with the kids", "booking_time": MEETING}
            continue
        assert answer.status_code == 200, answer.text
        walked.append(answer.json()["pipeline_status"])
        body = {}
    assert walked == ["New", "Qualified", "Booked", "Held", "Joined"]
    assert missing == ["prospect_why", "booking_time"]
    at_the_end = await next_stage(service, kari, {}, pipeline="recruiting")
    assert at_the_end.status_code == 409
    written = await outbox(service, kari)
    assert [e.event_name for e in written if e.event_name in EXTERNAL_EVENTS] == [
        EventName.MEETING_BOOKED,
        EventName.MEETING_HELD,
    ]
    person_moves = [
        (e.properties["from"]["status"], e.properties["to"]["status"])
        for e in named(written, EventName.STATUS_CHANGED)
        if e.properties["actor"] == "person"
    ]
    assert person_moves == [("lead", "qualified"), ("presentation_sent", "signed_up")]


async def test_next_stage_in_sales_from_lost_and_without_a_pipeline(service: Service) -> None:
    ola = await create(service, name="Ola", status="Lost", pipeline="sales")
    assert (await next_stage(service, ola, {}, pipeline="sales")).json()["pipeline_status"] == (
        "New"
    )
    per = await create(service, name="Per", status="Booked", pipeline="sales")
    canonical = await next_stage(service, per, {})
    assert (canonical.json()["status"], canonical.json()["booking"]["state"]) == (
        "presentation_sent",
        "booked",
    )
    assert "pipeline_status" not in canonical.json()


async def test_a_booking_step_repeated_with_its_key_moves_no_further(service: Service) -> None:
    kari = await create(service, name="Kari", status="Qualified", pipeline="recruiting")
    path = f"/api/customers/{kari['id']}/next-stage"
    body = {"booking_time": MEETING}
    params = {"pipeline": "recruiting"}
    first = await service.call("POST", path, json=body, params=params, key="book-kari")
    assert first.json()["pipeline_status"] == "Booked"
    await _forget_answers(service)
    again = await service.call("POST", path, json=body, params=params, key="book-kari")
    assert again.status_code == 200, again.text
    assert (again.json()["pipeline_status"], again.json()["updated_at"]) == (
        "Booked",
        first.json()["updated_at"],
    )
    written = await outbox(service, kari)
    assert [e.event_name for e in written if e.event_name in EXTERNAL_EVENTS] == [
        EventName.MEETING_BOOKED
    ]
