"""Every endpoint of the rules service's API, with its 401, 404, 409 and 422 cases."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from .history import T0, D, H, M, event
from .kafka_io import eventually
from .service_support import RulesUnderTest

BASE = "/api/reminders"


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def manual(
    rules: RulesUnderTest, customer: uuid.UUID, at: datetime = T0 + D, **headers: str
) -> dict[str, Any]:
    answer = await rules.client.post(
        BASE,
        json={
            "customer_id": str(customer),
            "type": "custom",
            "scheduled_for": z(at),
            "message": "Call",
        },
        headers=rules.headers(**headers),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def problem_fields(answer: Any) -> list[list[str]]:
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [error["loc"] for error in answer.json().get("errors", [])]


async def test_every_endpoint_needs_a_token(rules: RulesUnderTest) -> None:
    rid = uuid.uuid4()
    calls = [
        ("GET", f"{BASE}/due"),
        ("GET", f"{BASE}/upcoming"),
        ("GET", BASE),
        ("GET", f"{BASE}/{rid}"),
        ("POST", BASE),
        ("POST", f"{BASE}/{rid}/complete"),
        ("POST", f"{BASE}/{rid}/snooze"),
        ("DELETE", f"{BASE}/{rid}"),
    ]
    for method, path in calls:
        answer = await rules.client.request(method, path, headers={"Authorization": "Bearer bad"})
        assert answer.status_code == 401, (method, path, answer.text)


async def test_create_a_manual_reminder(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()  # not seen by the rules yet: accepted
    made = await manual(rules, c)
    assert made["type"] == "custom"
    assert made["rule"] == "manual"
    assert made["automated"] is False
    assert made["status"] == "open"
    assert made["scheduled_for"] == z(T0 + D)
    assert made["channel_window"] == "not_applicable"
    assert made["created_at"] == z(T0)
    assert made["completed_at"] is None
    got = await rules.client.get(f"{BASE}/{made['id']}", headers=rules.headers())
    assert got.json() == made
    announced = await eventually(lambda: rules.announced(c), lambda es: len(es) == 1)
    assert announced[0].event_name == "REMINDER_CREATED"
    assert announced[0].actor_id == "marketer-1"


async def test_create_refuses_bad_values_with_422_naming_the_field(rules: RulesUnderTest) -> None:
    c = str(uuid.uuid4())
    cases = [
        ({"customer_id": c, "type": "custom", "scheduled_for": z(T0 - M)}, "scheduled_for"),
        ({"customer_id": c, "type": "custom", "scheduled_for": z(T0 + 366 * D)}, "scheduled_for"),
        ({"customer_id": c, "type": "follow_up_2h", "scheduled_for": z(T0 + H)}, "type"),
        (
            {"customer_id": c, "type": "custom", "scheduled_for": "2026-11-03T09:00:00"},
            "scheduled_for",
        ),
        ({"customer_id": "nope", "type": "custom", "scheduled_for": z(T0 + H)}, "customer_id"),
        ({"type": "custom", "scheduled_for": z(T0 + H)}, "customer_id"),
    ]
    for body, field in cases:
        answer = await rules.client.post(BASE, json=body, headers=rules.headers())
        assert answer.status_code == 422, (body, answer.text)
        assert ["body", field] in problem_fields(answer), answer.text
    exactly_a_year = {"customer_id": c, "type": "custom", "scheduled_for": z(T0 + 365 * D)}
    assert (
        await rules.client.post(BASE, json=exactly_a_year, headers=rules.headers())
    ).status_code == 201


async def test_create_for_an_opted_out_customer_is_409(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send([event("UNSUBSCRIBED", T0 - H, c)])

    async def attempt() -> int:
        body = {"customer_id": str(c), "type": "custom", "scheduled_for": z(T0 + H)}
        return (await rules.client.post(BASE, json=body, headers=rules.headers())).status_code

    assert await eventually(attempt, lambda status: status == 409) == 409


async def test_idempotency_key_replays_the_first_answer(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    first = await manual(rules, c, **{"Idempotency-Key": f"k-{c}"})
    again = await manual(rules, c, **{"Idempotency-Key": f"k-{c}"})
    assert again == first
    other_body = await rules.client.post(
        BASE,
        json={"customer_id": str(c), "type": "custom", "scheduled_for": z(T0 + 2 * D)},
        headers=rules.headers(**{"Idempotency-Key": f"k-{c}"}),
    )
    assert other_body.status_code == 409
    listed = await rules.reminders(c)
    assert [r["id"] for r in listed] == [first["id"]]


async def test_get_is_scoped_by_account(rules: RulesUnderTest) -> None:
    made = await manual(rules, uuid.uuid4())
    assert (
        await rules.client.get(f"{BASE}/{made['id']}", headers=rules.headers("other"))
    ).status_code == 404
    assert (
        await rules.client.get(f"{BASE}/{uuid.uuid4()}", headers=rules.headers())
    ).status_code == 404
    assert (
        await rules.client.get(f"{BASE}/not-a-uuid", headers=rules.headers())
    ).status_code == 422


async def test_complete_then_again_and_canceled(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    made = await manual(rules, c)
    url = f"{BASE}/{made['id']}/complete"
    done = await rules.client.post(url, headers=rules.headers())
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["completed_at"] == z(T0)
    again = await rules.client.post(url, headers=rules.headers())
    assert again.status_code == 200
    assert again.json() == done.json()
    assert (await rules.client.post(url, headers=rules.headers("other"))).status_code == 404
    assert (
        await rules.client.post(f"{BASE}/{uuid.uuid4()}/complete", headers=rules.headers())
    ).status_code == 404
    gone = await manual(rules, c)
    assert (
        await rules.client.delete(f"{BASE}/{gone['id']}", headers=rules.headers())
    ).status_code == 204
    refused = await rules.client.post(f"{BASE}/{gone['id']}/complete", headers=rules.headers())
    assert refused.status_code == 409
    announced = await eventually(lambda: rules.announced(c), lambda es: len(es) == 4)
    completed = [e for e in announced if e.event_name == "REMINDER_COMPLETED"]
    assert len(completed) == 1
    assert completed[0].properties["completed_by"] == "person"


async def test_snooze(rules: RulesUnderTest) -> None:
    made = await manual(rules, uuid.uuid4())
    url = f"{BASE}/{made['id']}/snooze"
    past = await rules.client.post(url, json={"until": z(T0 - M)}, headers=rules.headers())
    assert past.status_code == 422
    assert ["body", "until"] in problem_fields(past)
    missing = await rules.client.post(url, json={}, headers=rules.headers())
    assert missing.status_code == 422
    # Unix seconds are not a time here (ISO 8601 only: docs/architecture.md, 'Time'), nor is
    # the year 9999.
    for until in (T0.timestamp() + 3 * D.total_seconds(), "9999-12-31T23:59:59Z"):
        odd = await rules.client.post(url, json={"until": until}, headers=rules.headers())
        assert odd.status_code == 422
        assert ["body", "until"] in problem_fields(odd)
    moved = await rules.client.post(url, json={"until": z(T0 + 3 * D)}, headers=rules.headers())
    assert moved.status_code == 200
    assert moved.json()["scheduled_for"] == z(T0 + 3 * D)
    other = await rules.client.post(url, json={"until": z(T0 + D)}, headers=rules.headers("other"))
    assert other.status_code == 404
    await rules.client.delete(f"{BASE}/{made['id']}", headers=rules.headers())
    canceled = await rules.client.post(url, json={"until": z(T0 + D)}, headers=rules.headers())
    assert canceled.status_code == 409


async def test_delete(rules: RulesUnderTest) -> None:
    made = await manual(rules, uuid.uuid4())
    url = f"{BASE}/{made['id']}"
    assert (await rules.client.delete(url, headers=rules.headers("other"))).status_code == 404
    assert (await rules.client.delete(url, headers=rules.headers())).status_code == 204
    assert (await rules.client.delete(url, headers=rules.headers())).status_code == 204
    assert (await rules.client.get(url, headers=rules.headers())).json()["status"] == "canceled"
    done = await manual(rules, uuid.uuid4())
    await rules.client.post(f"{BASE}/{done['id']}/complete", headers=rules.headers())
    assert (
        await rules.client.delete(f"{BASE}/{done['id']}", headers=rules.headers())
    ).status_code == 409
    assert (
        await rules.client.delete(f"{BASE}/{uuid.uuid4()}", headers=rules.headers())
    ).status_code == 404


async def test_due_with_overdue_by_the_account_grace(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send([event("NO_SHOW", T0 - 3 * H, c, source="whatsapp")])
    await rules.settled(c, lambda rs: len(rs) == 3)

    async def due(as_of: datetime, account: str = "acme") -> list[dict[str, Any]]:
        answer = await rules.client.get(
            f"{BASE}/due",
            params={"as_of": z(as_of), "customer_id": str(c)},
            headers=rules.headers(account),
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    # The 2h reminder is at T0-1h: due at T0, overdue only once more than 1h late.
    (at_grace,) = await due(T0)
    assert at_grace["type"] == "follow_up_2h"
    assert at_grace["overdue"] is False
    (late,) = await due(T0 + M)
    assert late["overdue"] is True
    assert await due(T0 - H - M) == []
    oldest_first = await due(T0 + 2 * D)
    assert [r["type"] for r in oldest_first] == ["follow_up_2h", "follow_up_1d"]
    assert await due(T0 + 2 * D, account="other") == []
    naive = await rules.client.get(
        f"{BASE}/due", params={"as_of": "2026-11-02T09:00:00"}, headers=rules.headers()
    )
    assert naive.status_code == 422


async def test_upcoming_within_an_iso_duration(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send([event("VIDEO_SENT", T0 + H, c)])
    await rules.settled(c, lambda rs: len(rs) == 3)

    async def upcoming(**params: str) -> Any:
        return await rules.client.get(f"{BASE}/upcoming", params=params, headers=rules.headers())

    found = (await upcoming(as_of=z(T0 + H), within="P2D")).json()["items"]
    mine = [r["type"] for r in found if r["customer_id"] == str(c)]
    assert mine == ["follow_up_24h", "follow_up_48h"]  # soonest first; the 7d is beyond
    edge = (await upcoming(as_of=z(T0 + H), within="PT24H")).json()["items"]
    assert [r["type"] for r in edge if r["customer_id"] == str(c)] == ["follow_up_24h"]
    week = (await upcoming(as_of=z(T0 + H))).json()["items"]
    assert len([r for r in week if r["customer_id"] == str(c)]) == 3
    for bad in ("P0D", "soon"):
        answer = await upcoming(within=bad)
        assert answer.status_code == 422, bad
        assert ["query", "within"] in problem_fields(answer)


async def test_list_filters_and_pages(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    made = [await manual(rules, c, at=T0 + n * H) for n in range(1, 6)]
    await rules.client.post(f"{BASE}/{made[0]['id']}/complete", headers=rules.headers())

    async def listed(**params: Any) -> Any:
        return await rules.client.get(
            BASE, params={"customer_id": str(c), **params}, headers=rules.headers()
        )

    assert [r["id"] for r in (await listed(status="completed")).json()["items"]] == [made[0]["id"]]
    assert len((await listed(status="open", type="custom")).json()["items"]) == 4
    assert (await listed(type="follow_up_7d")).json()["items"] == []
    first = (await listed(limit=2)).json()
    second = (await listed(limit=2, cursor=first["next_cursor"])).json()
    third = (await listed(limit=2, cursor=second["next_cursor"])).json()
    assert [r["id"] for r in first["items"] + second["items"] + third["items"]] == [
        m["id"] for m in made
    ]
    assert third["next_cursor"] is None
    assert (await listed(status="done")).status_code == 422
    assert (await listed(cursor="@@@")).status_code == 422
    other = await rules.client.get(
        BASE, params={"customer_id": str(c)}, headers=rules.headers("other")
    )
    assert other.json()["items"] == []
