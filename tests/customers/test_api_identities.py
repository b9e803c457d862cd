"""Identities a person types are normalized by crm_schemas.identity, as ingest does: a phone
is kept only when it is a valid number in the account's region (not merely a possible one),
a handle has no spaces. Anything else is 422 naming the field, and nothing is claimed or
written."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Service
from .test_api_customers import create, field_errors

# Right length for Norway, but no such number range: possible, not valid.
POSSIBLE_NOT_VALID = "+47 12345678"


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"name": "A", "phone": POSSIBLE_NOT_VALID}, ["body", "phone"]),
        ({"name": "A", "phone": "12345678"}, ["body", "phone"]),  # read in NO, the same
        ({"name": "A", "handles": {"ig": "kari nordmann"}}, ["body", "handles"]),
    ],
)
async def test_create_refuses_an_invalid_phone_or_a_handle_with_spaces(
    service: Service, fields: dict[str, Any], loc: list[Any]
) -> None:
    answer = await service.call("POST", "/api/customers", json=fields)
    assert loc in field_errors(answer)
    assert service.claims.calls == []
    listed = await service.call("GET", "/api/customers")
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"phone": POSSIBLE_NOT_VALID}, ["body", "phone"]),
        ({"handles": {"whatsapp": "kari n"}}, ["body", "handles"]),
    ],
)
async def test_put_refuses_an_invalid_phone_or_a_handle_with_spaces(
    service: Service, fields: dict[str, Any], loc: list[Any]
) -> None:
    kari = await create(service, name="Kari", phone="912 34 567")
    calls = len(service.claims.calls)
    answer = await service.call("PUT", f"/api/customers/{kari['id']}", json=fields)
    assert loc in field_errors(answer)
    assert len(service.claims.calls) == calls
    read = await service.call("GET", f"/api/customers/{kari['id']}")
    assert read.json() == kari


async def test_a_valid_number_is_read_in_the_account_s_region(service: Service) -> None:
    """The same digits are valid in one region and not in another."""
    sven = await create(service, account="other", name="Sven", phone="070-123 45 67")
    assert sven["phone"] == "+46701234567"
    answer = await service.call(
        "POST", "/api/customers", json={"name": "Kari", "phone": "070-123 45 67"}
    )
    assert ["body", "phone"] in field_errors(answer)
