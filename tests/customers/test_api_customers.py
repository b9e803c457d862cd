"""The customers endpoints: answers, normalization, 401 / 404 / 409 / 422 cases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from forged_cursors import unsigned_cursor

from .conftest import Service

KARI = {"name": "Kari Nordmann", "email": " Kari@Example.NO ", "phone": "912 34 567"}


async def create(service: Service, account: str = "acme", **fields: Any) -> dict[str, Any]:
    answer = await service.call(
        "POST", "/api/customers", json=fields or dict(KARI), account=account
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def field_errors(answer: httpx.Response) -> list[list[Any]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [error["loc"] for error in answer.json()["errors"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/customers"),
        ("GET", f"/api/customers/{uuid.uuid4()}"),
        ("POST", "/api/customers"),
        ("PUT", f"/api/customers/{uuid.uuid4()}"),
        ("DELETE", f"/api/customers/{uuid.uuid4()}"),
        ("POST", f"/api/customers/{uuid.uuid4()}/next-stage"),
    ],
)
async def test_every_endpoint_needs_a_token(service: Service, method: str, path: str) -> None:
    answer = await service.client.request(method, path, json={"name": "x"})
    assert answer.status_code == 401
    forged = await service.client.request(
        method, path, json={"name": "x"}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert forged.status_code == 401


async def test_create_normalizes_and_answers_the_card(service: Service) -> None:
    body = await create(
        service,
        **KARI,
        handles={"ig": "@Kari.N", "whatsapp": " KariWA "},
        source="ig",
        country="no",
        language="NB",
        notes="met at the gym",
        consent={"messaging": True, "terms_version": "v2"},
        utm={"source": "insta", "campaign": "autumn"},
        next_action="Send the video",
        next_action_date="2026-11-05T10:00:00+01:00",
    )
    assert body["email"] == "kari@example.no"
    assert body["phone"] == "+4791234567"  # the account's default region, NO
    assert body["handles"] == {"ig": "kari.n", "whatsapp": "kariwa"}
    assert (body["country"], body["language"], body["source"]) == ("NO", "nb", "ig")
    assert body["consent"] == {"messaging": True, "terms_version": "v2"}
    assert body["utm"] == {"source": "insta", "campaign": "autumn"}
    assert body["next_action"] == "Send the video"
    assert body["next_action_date"] == "2026-11-05T09:00:00Z"
    assert (body["status"], body["status_label"]) == ("lead", "Lead")
    assert body["booking"] == {"state": "none", "time": None, "booking_id": None}
    assert (body["joined_team"], body["opted_out"]) == (False, False)
    # A creation through the API in an open stage is activity at its time.
    assert body["last_activity_at"] == body["created_at"]
    assert (
        body["created_at"]
        == body["updated_at"]
        == service.clock.now().isoformat().replace("+00:00", "Z")
    )
    assert "pipeline_status" not in body
    claimed = service.claims.calls[-1]
    assert claimed[1] == uuid.UUID(body["id"])
    assert claimed[2] == {
        "email": "kari@example.no",
        "phone": "+4791234567",
        "handles": {"ig": "kari.n", "whatsapp": "kariwa"},
    }


async def test_phone_is_read_in_the_accounts_region(service: Service) -> None:
    body = await create(service, account="other", name="Sven", phone="070-123 45 67")
    assert body["phone"] == "+46701234567"


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"name": "A", "email": "not-an-email"}, ["body", "email"]),
        ({"name": "A", "phone": "12"}, ["body", "phone"]),
        ({"name": "A", "country": "XX"}, ["body", "country"]),
        ({"name": "A", "country": "NOR"}, ["body", "country"]),
        ({"name": "A", "language": "xx"}, ["body", "language"]),
        ({"name": "A", "source": "system"}, ["body", "source"]),
        ({"name": "A", "source": "fax"}, ["body", "source"]),
        ({"name": "A", "consent": {"messaging": "maybe"}}, ["body", "consent", "messaging"]),
        ({"name": "A", "utm": {"medium": "x", "color": {"r": 1}}}, ["body", "utm", "color"]),
        ({"name": "A", "handles": {"tiktok": "a"}}, ["body", "handles", "tiktok"]),
        ({"name": "A", "status": "Booked"}, ["body", "status"]),
        ({"name": "A", "status": "Video Sent", "pipeline": "sales"}, ["body", "status"]),
        ({"name": "A", "pipeline": "crm"}, ["body", "pipeline"]),
        ({"name": "A", "shoe_size": 42}, ["body", "shoe_size"]),
        ({"notes": "who?"}, ["body"]),
    ],
)
async def test_create_refuses_bad_fields_naming_them(
    service: Service, fields: dict[str, Any], loc: list[Any]
) -> None:
    answer = await service.call("POST", "/api/customers", json=fields)
    assert loc in field_errors(answer)
    listed = await service.call("GET", "/api/customers")
    assert listed.json()["items"] == []


async def test_unknown_term_lists_the_accepted_terms(service: Service) -> None:
    answer = await service.call(
        "POST", "/api/customers", json={"name": "A", "status": "Ghosted", "pipeline": "recruiting"}
    )
    assert field_errors(answer) == [["body", "status"]]
    assert answer.json()["accepted"] == [
        "New",
        "Qualified",
        "Booked",
        "Held",
        "Joined",
        "Lost",
        "No-Show",
    ]


async def test_malformed_json_is_400(service: Service) -> None:
    answer = await service.client.post(
        "/api/customers",
        content=b"{not json",
        headers={**service.auth(), "content-type": "application/json"},
    )
    assert answer.status_code == 400


async def test_an_identity_held_by_another_customer_is_409_naming_it(service: Service) -> None:
    first = await create(service, name="Kari", email="kari@example.no")
    answer = await service.call(
        "POST", "/api/customers", json={"name": "K2", "email": "KARI@example.no"}
    )
    assert answer.status_code == 409
    assert answer.json()["holder_customer_id"] == first["id"]
    listed = await service.call("GET", "/api/customers")
    assert [c["id"] for c in listed.json()["items"]] == [first["id"]]


async def test_idempotency_key_replays_and_refuses_another_body(service: Service) -> None:
    first = await service.call("POST", "/api/customers", json={"name": "Ola"}, key="k-1")
    again = await service.call("POST", "/api/customers", json={"name": "Ola"}, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = await service.call("POST", "/api/customers", json={"name": "Per"}, key="k-1")
    assert other.status_code == 409
    listed = await service.call("GET", "/api/customers")
    assert len(listed.json()["items"]) == 1


async def test_another_accounts_customer_is_404_everywhere(service: Service) -> None:
    theirs = await create(service, account="other", name="Sven")
    path = f"/api/customers/{theirs['id']}"
    for method, body in (("GET", None), ("PUT", {"name": "x"}), ("DELETE", None)):
        answer = await service.call(method, path, json=body)
        assert answer.status_code == 404, (method, answer.text)
    assert (await service.call("POST", f"{path}/next-stage", json={})).status_code == 404
    assert (await service.call("GET", "/api/customers")).json()["items"] == []
    assert (await service.call("GET", path, account="other")).json()["name"] == "Sven"


async def test_unknown_or_malformed_ids(service: Service) -> None:
    assert (await service.call("GET", f"/api/customers/{uuid.uuid4()}")).status_code == 404
    assert field_errors(await service.call("GET", "/api/customers/not-a-uuid")) == [
        ["path", "customer_id"]
    ]


class TestList:
    async def test_filters_by_status_in_a_vocabulary_and_by_code(self, service: Service) -> None:
        booked = await create(service, name="Booked one", status="Booked", pipeline="sales")
        await create(service, name="New one")
        by_term = await service.call(
            "GET", "/api/customers", params={"status": "booked", "pipeline": "recruiting"}
        )
        assert [c["id"] for c in by_term.json()["items"]] == [booked["id"]]
        assert by_term.json()["items"][0]["pipeline_status"] == "Booked"
        by_code = await service.call("GET", "/api/customers", params={"status": "qualified"})
        assert [c["id"] for c in by_code.json()["items"]] == [booked["id"]]
        unknown = await service.call("GET", "/api/customers", params={"status": "Won"})
        assert field_errors(unknown) == [["query", "status"]]

    async def test_search_is_a_parameter_not_sql(self, service: Service) -> None:
        kari = await create(
            service, name="Kari", email="kari@example.no", handles={"ig": "kari_ig"}
        )
        await create(service, name="Ola", phone="+4798765432")
        for q in ("KARI", "example.no", "kari_ig"):
            found = await service.call("GET", "/api/customers", params={"q": q})
            assert [c["id"] for c in found.json()["items"]] == [kari["id"]], q
        assert (
            len(
                (await service.call("GET", "/api/customers", params={"q": "98765"})).json()["items"]
            )
            == 1
        )
        for hostile in ("%", "a_i", "' OR 1=1 --"):
            found = await service.call("GET", "/api/customers", params={"q": hostile})
            assert found.status_code == 200
            assert found.json()["items"] == [], hostile

    async def test_sorting_is_whitelisted_and_pages_follow_it(self, service: Service) -> None:
        names = ["delta", "Alpha", "charlie", "bravo", "echo"]
        for name in names:
            await create(service, name=name)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"sort": "name", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await service.call("GET", "/api/customers", params=params)).json()
            seen += [c["name"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["Alpha", "bravo", "charlie", "delta", "echo"]
        newest = (
            await service.call("GET", "/api/customers", params={"sort": "-created_at"})
        ).json()
        assert [c["name"] for c in newest["items"]] == list(reversed(names))
        for bad in ("email", "name; DROP TABLE customers", "-"):
            assert field_errors(
                await service.call("GET", "/api/customers", params={"sort": bad})
            ) == [["query", "sort"]]
        assert field_errors(
            await service.call("GET", "/api/customers", params={"cursor": "!!"})
        ) == [["query", "cursor"]]
        assert field_errors(await service.call("GET", "/api/customers", params={"limit": 501})) == [
            ["query", "limit"]
        ]


async def test_forged_cursors_and_nul_characters_are_422(service: Service) -> None:
    await create(service, name="Kari")
    for forged in (
        [1, 2],
        ["not-a-time", "6f1c5e0e-0000-4000-8000-000000000000"],
        ["x", "not-a-uuid"],
        "x",
    ):
        answer = await service.call(
            "GET", "/api/customers", params={"cursor": unsigned_cursor(forged)}
        )
        assert field_errors(answer) == [["query", "cursor"]], forged
        interactions = await service.call(
            "GET", "/api/interactions/upcoming", params={"cursor": unsigned_cursor(forged)}
        )
        assert field_errors(interactions) == [["query", "cursor"]], forged
    assert field_errors(await service.call("GET", "/api/customers", params={"q": "a\x00b"})) == [
        ["query", "q"]
    ]
    nul = await service.call("POST", "/api/customers", json={"name": "a\x00b"})
    assert field_errors(nul) == [["body", "name"]]
    nested = await service.call(
        "POST", "/api/customers", json={"name": "a", "utm": {"source": "\x00"}}
    )
    assert field_errors(nested) == [["body", "utm", "source"]]
