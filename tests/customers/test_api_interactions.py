"""The interactions endpoints: CRUD, upcoming with as_of, activity, 401/404/422."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from crm_schemas.catalog import EventName

from .conftest import Service
from .kafka_io import eventually, named, read_events
from .test_api_customers import create, field_errors


async def log(service: Service, customer: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"customer_id": customer["id"], "type": "note", "content": "hello", **fields}
    answer = await service.call("POST", "/api/interactions", json=body)
    assert answer.status_code == 201, answer.text
    logged: dict[str, Any] = answer.json()
    return logged


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/interactions/customer/{uuid.uuid4()}"),
        ("GET", "/api/interactions/upcoming"),
        ("POST", "/api/interactions"),
        ("PUT", f"/api/interactions/{uuid.uuid4()}"),
        ("DELETE", f"/api/interactions/{uuid.uuid4()}"),
    ],
)
async def test_every_endpoint_needs_a_token(service: Service, method: str, path: str) -> None:
    assert (await service.client.request(method, path, json={})).status_code == 401


async def test_log_counts_as_activity_and_is_announced(service: Service) -> None:
    # Created before the call it logs: the creation (activity too) is not the latest.
    now = service.clock.now()
    service.clock.set(now - timedelta(days=2))
    kari = await create(service, name="Kari")
    service.clock.set(now)
    logged = await log(service, kari, type="call", occurred_at="2026-11-01T08:00:00+01:00")
    assert logged["occurred_at"] == "2026-11-01T07:00:00Z"
    assert (logged["type"], logged["completed"], logged["scheduled_for"]) == ("call", False, None)
    card = (await service.call("GET", f"/api/customers/{kari['id']}")).json()
    assert card["last_activity_at"] == "2026-11-01T07:00:00Z"
    found = await eventually(
        lambda: read_events(service.bootstrap, service.topic), lambda f: len(f) >= 2
    )
    (event,) = named(found, EventName.INTERACTION_LOGGED)
    assert event.properties["interaction"]["id"] == logged["id"]


async def test_defaults_to_now(service: Service) -> None:
    kari = await create(service, name="Kari")
    logged = await log(service, kari)
    assert logged["occurred_at"] == service.clock.now().isoformat().replace("+00:00", "Z")


async def test_list_of_a_customer_newest_first(service: Service) -> None:
    kari = await create(service, name="Kari")
    first = await log(service, kari, occurred_at="2026-11-01T08:00:00Z")
    second = await log(service, kari, occurred_at="2026-11-01T09:00:00Z")
    listed = await service.call(
        "GET", f"/api/interactions/customer/{kari['id']}", params={"limit": 1}
    )
    page = listed.json()
    assert [i["id"] for i in page["items"]] == [second["id"]]
    rest = await service.call(
        "GET",
        f"/api/interactions/customer/{kari['id']}",
        params={"limit": 1, "cursor": page["next_cursor"]},
    )
    assert [i["id"] for i in rest.json()["items"]] == [first["id"]]
    assert rest.json()["next_cursor"] is None
    unknown = await service.call("GET", f"/api/interactions/customer/{uuid.uuid4()}")
    assert unknown.json() == {"items": [], "next_cursor": None}
    theirs = await service.call("GET", f"/api/interactions/customer/{kari['id']}", account="other")
    assert theirs.json()["items"] == []


async def test_upcoming_with_as_of(service: Service) -> None:
    kari = await create(service, name="Kari")
    later = await log(service, kari, type="reminder", scheduled_for="2026-11-10T09:00:00Z")
    sooner = await log(service, kari, type="meeting", scheduled_for="2026-11-05T09:00:00Z")
    await log(service, kari, type="call", scheduled_for="2026-11-06T09:00:00Z", completed=True)
    await log(service, kari, type="note")
    upcoming = await service.call("GET", "/api/interactions/upcoming")
    assert [i["id"] for i in upcoming.json()["items"]] == [sooner["id"], later["id"]]
    from_sixth = await service.call(
        "GET", "/api/interactions/upcoming", params={"as_of": "2026-11-06T00:00:00Z"}
    )
    assert [i["id"] for i in from_sixth.json()["items"]] == [later["id"]]
    at_the_time = await service.call(
        "GET", "/api/interactions/upcoming", params={"as_of": "2026-11-10T09:00:00Z"}
    )
    assert [i["id"] for i in at_the_time.json()["items"]] == [later["id"]]
    bad = await service.call("GET", "/api/interactions/upcoming", params={"as_of": "tomorrow"})
    assert field_errors(bad) == [["query", "as_of"]]
    other = await service.call("GET", "/api/interactions/upcoming", account="other")
    assert other.json()["items"] == []


async def test_change_and_delete(service: Service) -> None:
    kari = await create(service, name="Kari")
    logged = await log(service, kari, type="meeting", scheduled_for="2026-11-05T09:00:00Z")
    path = f"/api/interactions/{logged['id']}"
    changed = await service.call("PUT", path, json={"completed": True, "content": "went well"})
    assert (changed.json()["completed"], changed.json()["content"]) == (True, "went well")
    assert (await service.call("GET", path)).json() == changed.json()
    assert field_errors(await service.call("PUT", path, json={"type": "fax"})) == [["body", "type"]]
    assert (
        await service.call("PUT", path, json={"content": "x"}, account="other")
    ).status_code == 404
    assert (await service.call("DELETE", path, account="other")).status_code == 404
    assert (await service.call("DELETE", path)).status_code == 204
    assert (await service.call("GET", path)).status_code == 404
    assert (await service.call("DELETE", path)).status_code == 404
    found = await eventually(
        lambda: read_events(service.bootstrap, service.topic), lambda f: len(f) >= 4
    )
    (updated,) = named(found, EventName.INTERACTION_UPDATED)
    assert updated.properties["interaction"]["completed"] is True
    (deleted,) = named(found, EventName.INTERACTION_DELETED)
    assert deleted.properties["interaction"]["id"] == logged["id"]


async def test_refusals(service: Service) -> None:
    kari = await create(service, name="Kari")
    unknown = await service.call(
        "POST", "/api/interactions", json={"customer_id": str(uuid.uuid4()), "type": "note"}
    )
    theirs = await service.call(
        "POST",
        "/api/interactions",
        json={"customer_id": kari["id"], "type": "note"},
        account="other",
    )
    # A customer id in a body that this account does not have is named, as ingest names it;
    # another account's customer answers exactly as one that was never made.
    for refused in (unknown, theirs):
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {"loc": ["body", "customer_id"], "msg": "unknown customer"}
        ]
    assert (await service.call("GET", f"/api/interactions/customer/{kari['id']}")).json()[
        "items"
    ] == []
    bad = await service.call(
        "POST",
        "/api/interactions",
        json={"customer_id": kari["id"], "type": "letter", "occurred_at": "yesterday"},
    )
    assert sorted(field_errors(bad)) == [["body", "occurred_at"], ["body", "type"]]


async def test_idempotency_key(service: Service) -> None:
    kari = await create(service, name="Kari")
    body = {"customer_id": kari["id"], "type": "note", "content": "once"}
    first = await service.call("POST", "/api/interactions", json=body, key="note-1")
    again = await service.call("POST", "/api/interactions", json=body, key="note-1")
    assert again.json() == first.json()
    listed = await service.call("GET", f"/api/interactions/customer/{kari['id']}")
    assert len(listed.json()["items"]) == 1
