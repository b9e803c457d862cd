"""With the real ingest: identities claimed on creation are what ingest resolves events by."""

from __future__ import annotations

from .kafka_io import eventually
from .with_ingest import Both


async def test_a_customer_created_through_the_api_is_found_by_ingest(crm: Both) -> None:
    customers = crm.customers
    kari = await crm.create(name="Kari", email=" Kari@Example.NO")
    # A DM from that address is accepted (202) as Kari's.
    assert await crm.event({"email": "kari@example.no"}) == kari
    # The same person typed in again is refused, naming Kari.
    twice = await customers.call(
        "POST", "/api/customers", json={"name": "K", "email": "kari@example.no"}
    )
    assert twice.status_code == 409
    assert twice.json()["holder_customer_id"] == kari
    # And the DM reaches Kari's card through the topic.
    card = await eventually(
        lambda: customers.call("GET", f"/api/customers/{kari}"),
        lambda answer: answer.json()["status"] == "relationship",
    )
    assert card.json()["name"] == "Kari"
