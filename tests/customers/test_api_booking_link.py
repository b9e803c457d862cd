"""GET /api/customers/{id}/booking-link: the scheduling URL with the customer's reference."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

from .conftest import Service
from .test_api_customers import create, field_errors

CALENDLY = "https://calendly.com/acme/intro-call?utm_source=ig&utm_content=spring"


def path(customer_id: object) -> str:
    return f"/api/customers/{customer_id}/booking-link"


async def test_the_link_carries_the_customers_reference_for_both_tools(service: Service) -> None:
    kari = await create(service)
    answer = await service.call("GET", path(kari["id"]), params={"url": CALENDLY})
    assert answer.status_code == 200, answer.text
    url = answer.json()["url"]
    reference = f"crm-{kari['id']}"
    assert url.startswith("https://calendly.com/acme/intro-call?utm_source=ig&")
    assert parse_qs(urlsplit(url).query) == {
        "utm_source": ["ig"],
        "utm_content": [reference],
        "metadata[crm_ref]": [reference],
    }
    assert answer.json() == {"url": url}


async def test_a_token_is_required(service: Service) -> None:
    kari = await create(service)
    answer = await service.client.get(path(kari["id"]), params={"url": CALENDLY})
    assert answer.status_code == 401
    forged = await service.client.get(
        path(kari["id"]), params={"url": CALENDLY}, headers={"Authorization": "Bearer x"}
    )
    assert forged.status_code == 401


async def test_a_url_that_is_not_http_or_has_no_host_is_422_naming_url(service: Service) -> None:
    kari = await create(service)
    for url in ("ftp://calendly.com/acme", "https:///acme", "calendly.com/acme", "x\x00y"):
        answer = await service.call("GET", path(kari["id"]), params={"url": url})
        assert field_errors(answer) == [["query", "url"]], url
    missing = await service.call("GET", path(kari["id"]))
    assert field_errors(missing) == [["query", "url"]]
    too_long = await service.call(
        "GET", path(kari["id"]), params={"url": "https://cal.com/" + "a" * 3000}
    )
    assert field_errors(too_long) == [["query", "url"]]


async def test_a_bad_url_is_422_before_an_unknown_customer_is_404(service: Service) -> None:
    answer = await service.call("GET", path(uuid.uuid4()), params={"url": "ftp://x"})
    assert field_errors(answer) == [["query", "url"]]


async def test_unknown_deleted_or_another_accounts_customer_is_404(service: Service) -> None:
    unknown = await service.call("GET", path(uuid.uuid4()), params={"url": CALENDLY})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    theirs = await create(service, account="other", name="Sven")
    other = await service.call("GET", path(theirs["id"]), params={"url": CALENDLY})
    assert other.status_code == 404
    own = await service.call("GET", path(theirs["id"]), params={"url": CALENDLY}, account="other")
    assert own.status_code == 200
    gone = await create(service, name="Gone Soon")
    assert (await service.call("DELETE", f"/api/customers/{gone['id']}")).status_code == 204
    deleted = await service.call("GET", path(gone["id"]), params={"url": CALENDLY})
    assert deleted.status_code == 404
    malformed = await service.call("GET", path("not-a-uuid"), params={"url": CALENDLY})
    assert field_errors(malformed) == [["path", "customer_id"]]
