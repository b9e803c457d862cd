"""The claim client's answers, with ingest's replies played by a mock transport."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from crm_customers.customers.claims import IngestClaims
from crm_customers.customers.policy.changes import identities_of
from crm_servicekit.problems import Conflict, ServiceUnavailable, Unprocessable

CUSTOMER = uuid.uuid4()
HOLDER = uuid.uuid4()


def claims_answering(handler: httpx.MockTransport) -> IngestClaims:
    return IngestClaims("http://ingest", "svc-token", transport=handler)


async def test_sends_the_contract_body_with_the_service_token() -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"customer_id": str(CUSTOMER), "claimed": []})

    await claims_answering(httpx.MockTransport(reply)).claim("acme", CUSTOMER, {"email": "a@b.no"})
    (request,) = seen
    assert request.url.path == "/internal/identities/claim"
    assert request.headers["authorization"] == "Bearer svc-token"
    assert request.read() == (
        b'{"account_id":"acme","customer_id":"'
        + str(CUSTOMER).encode()
        + b'","identities":{"email":"a@b.no"}}'
    )


async def test_values_to_release_go_in_the_body_beside_the_complete_set() -> None:
    seen: list[bytes] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        return httpx.Response(200, json={"customer_id": str(CUSTOMER), "claimed": []})

    await claims_answering(httpx.MockTransport(reply)).claim(
        "acme", CUSTOMER, {"email": "new@b.no"}, {"email": "old@b.no"}
    )
    assert json.loads(seen[0])["release"] == {"email": "old@b.no"}


async def test_a_held_identity_is_409_naming_the_holder() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        body = {
            "detail": "The email is held by another customer.",
            "holder_customer_id": str(HOLDER),
        }
        return httpx.Response(409, json=body)

    with pytest.raises(Conflict) as conflict:
        await claims_answering(httpx.MockTransport(reply)).claim(
            "acme", CUSTOMER, {"email": "a@b.no"}
        )
    assert conflict.value.extra["holder_customer_id"] == str(HOLDER)


async def test_ingest_refusing_a_value_is_422_naming_it() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        errors = [{"loc": ["body", "identities", "phone"], "msg": "not a phone number"}]
        return httpx.Response(422, json={"detail": "Invalid identities.", "errors": errors})

    with pytest.raises(Unprocessable) as invalid:
        await claims_answering(httpx.MockTransport(reply)).claim("acme", CUSTOMER, {"phone": "1"})
    assert invalid.value.extra["errors"] == [
        {"loc": ["body", "phone"], "msg": "not a phone number"}
    ]


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_other_answers_are_503(status: int) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text="nope")

    with pytest.raises(ServiceUnavailable):
        await claims_answering(httpx.MockTransport(reply)).claim(
            "acme", CUSTOMER, {"email": "a@b.no"}
        )


async def test_unreachable_ingest_is_503_with_retry_after() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ServiceUnavailable) as unavailable:
        await claims_answering(httpx.MockTransport(reply)).claim(
            "acme", CUSTOMER, {"email": "a@b.no"}
        )
    assert unavailable.value.headers == {"Retry-After": "2"}


def test_identities_of_names_only_those_given() -> None:
    assert identities_of(None, "+4791234567", {}) == {"phone": "+4791234567"}
    assert identities_of("a@b.no", None, {"ig": "kari"}) == {
        "email": "a@b.no",
        "handles": {"ig": "kari"},
    }
