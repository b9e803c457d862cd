"""The account's automation settings: GET for anyone of the account, PUT for an admin, each
change one ACCOUNT_SETTINGS_CHANGED through the outbox, every bad field a 422 naming it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from crm_schemas.account_settings import SEED_ACTOR
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.auth import Role

from .conftest import Service
from .kafka_io import eventually, named, read_events

REMINDER_TYPES = {"follow_up_2h", "follow_up_1d", "follow_up_24h", "follow_up_48h", "follow_up_7d"}


async def put(
    service: Service,
    body: Any,
    *,
    account: str = "acme",
    role: Role = Role.ADMIN,
    sub: str = "admin-1",
    key: str | None = None,
) -> httpx.Response:
    service.clock.advance(timedelta(seconds=1))
    headers = service.auth(account, sub=sub, role=role)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await service.client.put("/api/settings", json=body, headers=headers)


async def settings_of(service: Service, account: str = "acme") -> dict[str, Any]:
    answer = await service.call("GET", "/api/settings", account=account)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def seeded(service: Service, account: str = "acme") -> dict[str, Any]:
    return await eventually(
        lambda: settings_of(service, account), lambda body: body["effective_from"] is not None
    )


async def changes_on_topic(service: Service, account: str = "acme") -> list[EventEnvelope]:
    events = named(
        await read_events(service.bootstrap, service.topic), EventName.ACCOUNT_SETTINGS_CHANGED
    )
    return [event for event in events if event.account_id == account]


def field_errors(answer: httpx.Response) -> list[list[Any]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [error["loc"] for error in answer.json()["errors"]]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_get_answers_the_settings_in_the_shape_of_the_api(service: Service) -> None:
    body = await seeded(service, "other")
    assert set(body) == {
        "time_zone",
        "dmo_targets",
        "quiet_hours",
        "overdue_grace",
        "default_region",
        "reminders",
        "effective_from",
    }
    assert body["time_zone"] == "Europe/Oslo"
    assert body["dmo_targets"] == {"invites": 20, "follow_ups": 30}
    assert body["quiet_hours"] is None
    assert body["overdue_grace"] == "PT1H"
    assert body["default_region"] == "SE"  # the accounts file's value for "other"
    assert set(body["reminders"]) == REMINDER_TYPES
    assert body["reminders"]["follow_up_2h"] == {"enabled": True, "delay": "PT2H", "message": None}
    assert body["reminders"]["follow_up_7d"]["delay"] == "P7D"


async def test_a_member_may_read_but_not_change(service: Service) -> None:
    before = await seeded(service)
    refused = await put(service, {"dmo_targets": {"invites": 5}}, role=Role.MEMBER)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    # Forbidden before the body is judged: a member's bad body is 403 too, not 422.
    bad = await put(service, {"dmo_targets": {"invites": -1}}, role=Role.MEMBER)
    assert bad.status_code == 403, bad.text
    assert await settings_of(service) == before


async def test_an_admin_s_change_answers_the_settings_and_announces_them_once(
    service: Service,
) -> None:
    await seeded(service)
    answer = await put(service, {"dmo_targets": {"invites": 5}, "quiet_hours": ["22:00", "07:00"]})
    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert after["dmo_targets"] == {"invites": 5, "follow_ups": 30}
    assert after["quiet_hours"] == ["22:00", "07:00"]
    assert after["effective_from"] == iso(service.clock.now())
    assert await settings_of(service) == after

    events = await eventually(
        lambda: changes_on_topic(service), lambda found: any(e.actor_id for e in found)
    )
    seeds = [e for e in events if e.properties["actor"] == SEED_ACTOR]
    by_admin = [e for e in events if e.properties["actor"] != SEED_ACTOR]
    assert len(seeds) == 1
    assert len(by_admin) == 1
    change = by_admin[0]
    assert change.customer_id is None
    assert change.kafka_key == b"acme"
    assert (change.actor_id, change.properties["actor"]) == ("admin-1", "admin-1")
    assert iso(change.timestamp) == after["effective_from"]
    announced = change.typed_properties().model_dump(mode="json")["settings"]
    assert announced == {k: v for k, v in after.items() if k != "effective_from"}


async def test_a_change_merges_per_key_and_per_sub_field(service: Service) -> None:
    await seeded(service)
    assert (await put(service, {"dmo_targets": {"invites": 5}})).status_code == 200
    assert (await put(service, {"dmo_targets": {"follow_ups": 7}})).status_code == 200
    reminder = {"follow_up_2h": {"delay": "PT3H", "message": "Ring them"}}
    assert (await put(service, {"reminders": reminder})).status_code == 200
    off = {"follow_up_2h": {"enabled": False}, "follow_up_7d": {"delay": "P10D"}}
    assert (await put(service, {"reminders": off})).status_code == 200
    assert (
        await put(service, {"overdue_grace": "PT30M", "default_region": "se"})
    ).status_code == 200
    body = await settings_of(service)
    assert body["dmo_targets"] == {"invites": 5, "follow_ups": 7}
    assert body["reminders"]["follow_up_2h"] == {
        "enabled": False,
        "delay": "PT3H",
        "message": "Ring them",
    }
    assert body["reminders"]["follow_up_7d"] == {"enabled": True, "delay": "P10D", "message": None}
    assert body["reminders"]["follow_up_1d"]["delay"] == "P1D"
    assert (body["overdue_grace"], body["default_region"]) == ("PT30M", "SE")
    # A message set back to null is the rules' default again; quiet hours null are none.
    back = {"reminders": {"follow_up_2h": {"message": None}}, "quiet_hours": None}
    answer = await put(service, back)
    assert answer.json()["reminders"]["follow_up_2h"]["message"] is None
    assert answer.json()["reminders"]["follow_up_2h"]["delay"] == "PT3H"
    assert answer.json()["quiet_hours"] is None


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"reminders": {"follow_up_2h": {"delay": "PT4M"}}}, ["body", "reminders"]),
        ({"reminders": {"follow_up_7d": {"delay": "P31D"}}}, ["body", "reminders"]),
        ({"reminders": {"follow_up_2h": {"delay": 7200}}}, ["body", "reminders"]),
        ({"reminders": {"custom": {"enabled": False}}}, ["body", "reminders", "custom"]),
        ({"quiet_hours": ["22:00", "7:00"]}, ["body", "quiet_hours"]),
        ({"quiet_hours": ["24:00", "07:00"]}, ["body", "quiet_hours"]),
        ({"quiet_hours": ["22:00"]}, ["body", "quiet_hours"]),
        ({"dmo_targets": {"invites": -1}}, ["body", "dmo_targets", "invites"]),
        ({"dmo_targets": {"follow_ups": 10_001}}, ["body", "dmo_targets", "follow_ups"]),
        ({"overdue_grace": "P8D"}, ["body", "overdue_grace"]),
        ({"overdue_grace": "-PT1H"}, ["body", "overdue_grace"]),
        ({"default_region": "ZZ"}, ["body", "default_region"]),
        ({"default_region": "NOR"}, ["body", "default_region"]),
        ({"time_zone": "UTC"}, ["body", "time_zone"]),
        ({"time_zone": "Europe/Oslo"}, ["body", "time_zone"]),
        ({"colour": "blue"}, ["body", "colour"]),
        ({"reminders": {"follow_up_2h": {"enabled": None}}}, ["body", "reminders"]),
    ],
)
async def test_each_bad_field_is_422_naming_it_and_changes_nothing(
    service: Service, body: dict[str, Any], loc: list[str]
) -> None:
    before = await seeded(service)
    errors = field_errors(await put(service, body))
    assert any(error[: len(loc)] == loc for error in errors), errors
    assert await settings_of(service) == before


async def test_time_zone_is_refused_as_fixed_when_the_account_is_created(service: Service) -> None:
    answer = await put(service, {"time_zone": "UTC"})
    assert answer.status_code == 422
    assert "fixed when the account is created" in answer.json()["errors"][0]["msg"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"effective_from": "2026-11-02T09:00:00Z"},
        {"dmo_targets": {}},
        {"reminders": {"follow_up_2h": {}}},
    ],
)
async def test_a_change_of_nothing_is_422(service: Service, body: dict[str, Any]) -> None:
    assert field_errors(await put(service, body)) == [["body"]]


async def test_effective_from_bounds(service: Service) -> None:
    await seeded(service)
    now = service.clock.now()
    ahead = await put(
        service, {"overdue_grace": "PT2H", "effective_from": iso(now + timedelta(minutes=6))}
    )
    assert field_errors(ahead) == [["body", "effective_from"]]
    back = await put(
        service, {"overdue_grace": "PT2H", "effective_from": iso(now - timedelta(days=31))}
    )
    assert field_errors(back) == [["body", "effective_from"]]
    naive = await put(service, {"overdue_grace": "PT2H", "effective_from": "2026-11-02T09:00:00"})
    assert field_errors(naive) == [["body", "effective_from"]]

    soon = now + timedelta(minutes=4)
    made = await put(service, {"overdue_grace": "PT2H", "effective_from": iso(soon)})
    assert made.status_code == 200, made.text
    assert made.json()["effective_from"] == iso(soon)
    # Before the latest change (the one just made, 4 minutes ahead): refused, naming it.
    before_latest = await put(service, {"overdue_grace": "PT3H"})
    assert field_errors(before_latest) == [["body", "effective_from"]]
    assert before_latest.json()["latest_effective_from"] == iso(soon)
    # At the latest change's instant: taken.
    same = await put(service, {"overdue_grace": "PT3H", "effective_from": iso(soon)})
    assert same.status_code == 200, same.text
    assert (await settings_of(service))["overdue_grace"] == "PT3H"


async def test_a_change_may_be_dated_back_within_30_days_after_the_latest(
    service: Service,
) -> None:
    first = await put(service, {"dmo_targets": {"invites": 1}})
    assert first.status_code == 200, first.text
    service.clock.advance(timedelta(days=2))
    back = service.clock.now() - timedelta(days=1)
    answer = await put(service, {"dmo_targets": {"invites": 2}, "effective_from": iso(back)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["effective_from"] == iso(back)
    events = await eventually(lambda: changes_on_topic(service), lambda found: len(found) == 3)
    assert [iso(e.timestamp) for e in events][-1] == iso(back)


async def test_one_account_s_change_leaves_another_s_alone(service: Service) -> None:
    other = await seeded(service, "other")
    assert (await put(service, {"default_region": "DK"})).status_code == 200
    assert (await settings_of(service, "acme"))["default_region"] == "DK"
    assert await settings_of(service, "other") == other
    # Read once the relay has sent both acme's change and other's seed (it sends them a while
    # after the answers): other has its seed alone.
    await eventually(
        lambda: changes_on_topic(service), lambda found: any(e.actor_id for e in found)
    )
    on_topic = await eventually(lambda: changes_on_topic(service, "other"), bool)
    assert [e.account_id for e in on_topic] == ["other"]


async def test_a_repeated_idempotency_key_replays_the_change(service: Service) -> None:
    await seeded(service)
    first = await put(service, {"dmo_targets": {"invites": 3}}, key="k-1")
    again = await put(service, {"dmo_targets": {"invites": 3}}, key="k-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = await put(service, {"dmo_targets": {"invites": 4}}, key="k-1")
    assert other.status_code == 409


async def test_phones_are_read_in_the_region_in_force(service: Service) -> None:
    await seeded(service)
    assert (await put(service, {"default_region": "SE"})).status_code == 200
    created = await service.call(
        "POST", "/api/customers", json={"name": "Sven", "phone": "070-123 45 67"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == "+46701234567"
