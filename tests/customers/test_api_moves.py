"""PUT, DELETE and next-stage through the API: people's moves, booking, the vocabularies."""

from __future__ import annotations

from typing import Any

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope

from .conftest import Service
from .kafka_io import eventually, named, read_events
from .test_api_customers import create, field_errors


async def put(
    service: Service, customer: dict[str, Any], body: dict[str, Any], **params: Any
) -> Any:
    return await service.call("PUT", f"/api/customers/{customer['id']}", json=body, params=params)


async def next_stage(
    service: Service, customer: dict[str, Any], body: Any = None, **params: Any
) -> Any:
    return await service.call(
        "POST", f"/api/customers/{customer['id']}/next-stage", json=body, params=params
    )


async def customers_events(service: Service) -> list[EventEnvelope]:
    # The accounts' settings seeds are on the topic too: not what these tests look at.
    found = await read_events(service.bootstrap, service.topic)
    return [event for event in found if event.customer_id is not None]


async def topic_events(service: Service, until: int) -> list[EventEnvelope]:
    return await eventually(lambda: customers_events(service), lambda found: len(found) >= until)


class TestMapping:
    async def test_booked_in_recruiting_is_qualified_and_booked(self, service: Service) -> None:
        created = await create(service, name="Kari", status="Booked", pipeline="recruiting")
        assert (created["status"], created["booking"]["state"]) == ("qualified", "booked")
        assert created["pipeline_status"] == "Booked"
        for pipeline in ("recruiting", "frazer"):
            read = await service.call(
                "GET", f"/api/customers/{created['id']}", params={"pipeline": pipeline}
            )
            assert read.json()["pipeline_status"] == "Booked"
            assert read.json()["status"] == "qualified"

    async def test_won_in_sales_is_signed_up(self, service: Service) -> None:
        created = await create(service, name="Ola", status="won", pipeline="sales")
        assert (created["status"], created["status_label"]) == ("signed_up", "Signed-up")
        assert created["joined_team"] is False
        team = await create(service, name="Per", status="Team", pipeline="frazer")
        assert (team["status"], team["joined_team"]) == ("signed_up", True)

    async def test_unknown_term_is_422_listing_accepted(self, service: Service) -> None:
        answer = await service.call(
            "POST", "/api/customers", json={"name": "x", "status": "Won", "pipeline": "recruiting"}
        )
        assert field_errors(answer) == [["body", "status"]]
        assert "Joined" in answer.json()["accepted"]

    async def test_pipeline_in_the_query(self, service: Service) -> None:
        answer = await service.call(
            "POST",
            "/api/customers",
            json={"name": "x", "status": "Held"},
            params={"pipeline": "sales"},
        )
        assert answer.status_code == 201
        assert (answer.json()["status"], answer.json()["booking"]["state"]) == (
            "presentation_sent",
            "held",
        )
        bad = await service.call("GET", "/api/customers", params={"pipeline": "crm"})
        assert field_errors(bad) == [["query", "pipeline"]]

    async def test_creation_with_a_booking_term_emits_no_booking_event(
        self, service: Service
    ) -> None:
        created = await create(service, name="Kari", status="No-Show", pipeline="frazer")
        found = await topic_events(service, 1)
        assert [e.event_name for e in found] == [EventName.CUSTOMER_CREATED]
        assert found[0].properties["state"]["booking"]["state"] == "no_show"
        assert str(found[0].customer_id) == created["id"]
        assert found[0].actor_id == "marketer-1"


class TestPut:
    async def test_changes_the_given_fields_and_announces_them(self, service: Service) -> None:
        kari = await create(service, name="Kari", notes="a")
        answer = await put(service, kari, {"notes": "b", "country": "se", "name": "Kari"})
        assert answer.status_code == 200
        body = answer.json()
        assert (body["notes"], body["country"], body["name"]) == ("b", "SE", "Kari")
        assert body["updated_at"] > kari["updated_at"]
        found = await topic_events(service, 2)
        (updated,) = named(found, EventName.CUSTOMER_UPDATED)
        assert updated.properties["changes"] == {"notes": "b", "country": "SE"}

    async def test_one_step_back_needs_a_reason(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="invited")
        assert field_errors(await put(service, kari, {"status": "relationship"})) == [
            ["body", "reason"]
        ]
        moved = await put(service, kari, {"status": "relationship", "reason": "clicked wrong"})
        assert moved.json()["status"] == "relationship"
        found = await topic_events(service, 2)
        (change,) = named(found, EventName.STATUS_CHANGED)
        props = change.properties
        assert (props["from"]["status"], props["to"]["status"]) == ("invited", "relationship")
        assert (props["actor"], props["actor_id"], props["reason"]) == (
            "person",
            "marketer-1",
            "clicked wrong",
        )
        assert props["cause_event_id"] == change.cause_event_id

    async def test_not_now_and_back_to_relationship(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="qualified")
        assert (await put(service, kari, {"status": "Lost"}, pipeline="sales")).json()[
            "status"
        ] == "not_now"
        assert (await put(service, kari, {"status": "relationship"})).json()[
            "status"
        ] == "relationship"

    async def test_other_jumps_are_409(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="relationship")
        answer = await put(service, kari, {"status": "qualified"})
        assert answer.status_code == 409
        signed = await create(service, name="Ola", status="signed_up")
        assert (await put(service, signed, {"status": "not_now"})).status_code == 409
        assert (await service.call("GET", f"/api/customers/{kari['id']}")).json()[
            "status"
        ] == "relationship"

    async def test_values_are_checked_before_the_customer_is_looked_up(
        self, service: Service
    ) -> None:
        unknown = {"id": "6f1c5e0e-0000-4000-8000-000000000000"}
        assert field_errors(await put(service, unknown, {"status": "Ghosted"})) == [
            ["body", "status"]
        ]
        assert field_errors(await put(service, unknown, {"name": "x"}, pipeline="crm")) == [
            ["query", "pipeline"]
        ]
        assert (await put(service, unknown, {"status": "lead"})).status_code == 404

    async def test_writing_back_the_shown_term_is_a_no_op(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="invited")
        read = (
            await service.call("GET", f"/api/customers/{kari['id']}", params={"pipeline": "sales"})
        ).json()
        assert read["pipeline_status"] == "New"
        answer = await put(service, kari, {"status": read["pipeline_status"]}, pipeline="sales")
        assert answer.status_code == 200
        assert answer.json()["status"] == "invited"
        assert answer.json()["updated_at"] == kari["updated_at"]

    async def test_booking_emits_the_matching_event(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="invited")
        missing_time = await put(service, kari, {"booking": {"state": "booked"}})
        assert field_errors(missing_time) == [["body", "booking", "time"]]
        assert field_errors(await put(service, kari, {"booking": {"state": "none"}})) == [
            ["body", "booking", "state"]
        ]
        booked = await put(
            service,
            kari,
            {"booking": {"state": "confirmed", "time": "2026-11-03T10:00:00Z", "booking_id": "b1"}},
        )
        body = booked.json()
        assert body["booking"] == {
            "state": "booked",
            "time": "2026-11-03T10:00:00Z",
            "booking_id": "b1",
        }
        assert body["status"] == "qualified"  # MEETING_BOOKED is a fact like any other
        no_show = await put(service, kari, {"booking": {"state": "no_show"}})
        assert no_show.json()["booking"]["state"] == "no_show"
        again = await put(service, kari, {"booking": {"state": "no_show"}})
        assert again.json() == no_show.json()
        found = await topic_events(service, 5)
        facts = [e for e in found if e.event_name in (EventName.MEETING_BOOKED, EventName.NO_SHOW)]
        assert [(e.event_name, e.source.value, e.actor_id) for e in facts] == [
            (EventName.MEETING_BOOKED, "manual", "marketer-1"),
            (EventName.NO_SHOW, "manual", "marketer-1"),
        ]
        (change_booked, change_no_show) = named(found, EventName.STATUS_CHANGED)
        assert change_booked.properties["cause_event_id"] == facts[0].event_id
        assert change_booked.properties["cause_event_name"] == "MEETING_BOOKED"
        assert change_booked.properties["actor"] == "event"
        assert change_no_show.properties["to"]["booking"]["state"] == "no_show"

    async def test_an_identity_of_another_customer_is_409(self, service: Service) -> None:
        first = await create(service, name="Kari", email="kari@example.no")
        ola = await create(service, name="Ola")
        answer = await put(service, ola, {"email": "kari@example.no"})
        assert answer.status_code == 409
        assert answer.json()["holder_customer_id"] == first["id"]
        assert (await service.call("GET", f"/api/customers/{ola['id']}")).json()["email"] is None

    async def test_a_persons_next_action(self, service: Service) -> None:
        kari = await create(service, name="Kari")
        answer = await put(
            service, kari, {"next_action": "Call", "next_action_date": "2026-11-04T12:00:00+01:00"}
        )
        assert (answer.json()["next_action"], answer.json()["next_action_date"]) == (
            "Call",
            "2026-11-04T11:00:00Z",
        )
        found = await topic_events(service, 2)
        (updated,) = named(found, EventName.CUSTOMER_UPDATED)
        assert updated.properties["changes"]["next_action_by"] == "person"


class TestNextStage:
    async def test_the_why_gate(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="invited")
        refused = await next_stage(service, kari)
        assert refused.status_code == 409
        assert refused.json()["missing"] == "prospect_why"
        moved = await next_stage(
            service, kari, {"prospect_why": "more time with kids"}, pipeline="frazer"
        )
        assert moved.status_code == 200
        assert (moved.json()["status"], moved.json()["pipeline_status"]) == (
            "qualified",
            "Qualified",
        )
        assert moved.json()["prospect_why"] == "more time with kids"

    async def test_a_stored_why_opens_the_gate(self, service: Service) -> None:
        kari = await create(service, name="Kari", status="invited", prospect_why="freedom")
        assert (await next_stage(service, kari, {})).json()["status"] == "qualified"

    async def test_signed_up_has_no_next(self, service: Service) -> None:
        ola = await create(service, name="Ola", status="signed_up")
        assert (await next_stage(service, ola)).status_code == 409

    async def test_from_not_now_to_relationship(self, service: Service) -> None:
        ola = await create(service, name="Ola", status="not_now")
        assert (await next_stage(service, ola)).json()["status"] == "relationship"

    async def test_idempotency_key(self, service: Service) -> None:
        ola = await create(service, name="Ola")
        path = f"/api/customers/{ola['id']}/next-stage"
        first = await service.call("POST", path, json={}, key="step-1")
        again = await service.call("POST", path, json={}, key="step-1")
        assert first.json()["status"] == again.json()["status"] == "relationship"
        found = await topic_events(service, 2)
        assert len(named(found, EventName.STATUS_CHANGED)) == 1


class TestDelete:
    async def test_delete_is_a_tombstone(self, service: Service) -> None:
        kari = await create(service, name="Kari", email="kari@example.no")
        path = f"/api/customers/{kari['id']}"
        assert (await service.call("DELETE", path)).status_code == 204
        assert (await service.call("GET", path)).status_code == 404
        assert (await service.call("DELETE", path)).status_code == 404
        assert (await service.call("PUT", path, json={"name": "x"})).status_code == 404
        found = await topic_events(service, 2)
        (deleted,) = named(found, EventName.CUSTOMER_DELETED)
        assert str(deleted.customer_id) == kari["id"]
