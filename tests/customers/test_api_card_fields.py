"""consent and utm keep further keys, and custom holds the account's own fields, through
POST, PUT and GET; their limits are 422 naming the field."""

from __future__ import annotations

from typing import Any

from .conftest import Service
from .test_api_customers import create, field_errors


async def test_further_consent_and_utm_keys_and_custom_round_trip(service: Service) -> None:
    made = await create(
        service,
        name="Ada",
        consent={"messaging": True, "marketing": True},
        utm={"source": "meta", "gclid": "Cj0KCQ"},
        custom={"tier": "gold", "score": 3, "tags": ["a", "b"], "meta": {"x": None}},
    )
    assert made["consent"] == {"messaging": True, "marketing": True}
    assert made["utm"] == {"source": "meta", "gclid": "Cj0KCQ"}
    assert made["custom"] == {"tier": "gold", "score": 3, "tags": ["a", "b"], "meta": {"x": None}}
    path = f"/api/customers/{made['id']}"
    assert (await service.call("GET", path)).json()["custom"] == made["custom"]

    changed = await service.call(
        "PUT",
        path,
        json={
            "consent": {"marketing": False},
            "utm": {"gclid": "Cj1"},
            "custom": {"score": None, "region": "west"},
        },
    )
    assert changed.status_code == 200, changed.text
    read = (await service.call("GET", path)).json()
    assert read["consent"] == {"messaging": True, "marketing": False}
    assert read["utm"] == {"gclid": "Cj1"}
    assert read["custom"] == {
        "tier": "gold",
        "tags": ["a", "b"],
        "meta": {"x": None},
        "region": "west",
    }
    assert changed.json() == read


async def test_a_customer_without_custom_fields_shows_an_empty_object(service: Service) -> None:
    assert (await create(service, name="Ola"))["custom"] == {}


async def test_custom_over_8_kib_is_422_naming_it(service: Service) -> None:
    big = {"notes": "x" * 8200}
    refused = await service.call("POST", "/api/customers", json={"name": "A", "custom": big})
    assert ["body", "custom"] in field_errors(refused)
    made = await create(service, name="A", custom={"a": "x" * 5000})
    # Each PUT is small; what the card would hold together is over the limit.
    grown = await service.call(
        "PUT", f"/api/customers/{made['id']}", json={"custom": {"b": "y" * 5000}}
    )
    assert ["body", "custom"] in field_errors(grown)
    kept = await service.call("GET", f"/api/customers/{made['id']}")
    assert kept.json()["custom"] == {"a": "x" * 5000}


async def test_bad_further_keys_are_422_naming_them(service: Service) -> None:
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        ({"custom": {"k" * 65: 1}}, ["body", "custom"]),
        ({"consent": {"marketing": {"deep": True}}}, ["body", "consent", "marketing"]),
        ({"utm": {"gclid": "x" * 256}}, ["body", "utm", "gclid"]),
        ({"utm": {f"k{i}": "v" for i in range(33)}}, ["body", "utm"]),
    ]
    for fields, loc in cases:
        answer = await service.call("POST", "/api/customers", json={"name": "A", **fields})
        assert loc in field_errors(answer), fields


async def test_a_person_s_messaging_consent_opts_out_and_back_in(service: Service) -> None:
    made = await create(service, name="Ola", consent={"messaging": False, "email": True})
    assert (made["opted_out"], made["consent"]) == (True, {"messaging": False, "email": True})
    back = await service.call(
        "PUT", f"/api/customers/{made['id']}", json={"consent": {"messaging": True}}
    )
    assert (back.json()["opted_out"], back.json()["consent"]) == (
        False,
        {"messaging": True, "email": True},
    )
