"""A person's change of email, phone or handles with the real ingest: ingest's linked set
follows the card, old values go free, and a failed commit after the claim is mended."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from crm_customers.customers.claims import IngestClaims
from crm_servicekit.clock import FixedClock

from .conftest import Service, customers_settings, running
from .events import T
from .kafka_io import eventually
from .with_ingest import SERVICE_TOKEN, ingest_app


@dataclass
class Both:
    customers: Service
    ingest: httpx.AsyncClient
    database: str

    async def event(self, contact: dict[str, Any]) -> str:
        """An event from outside carrying `contact`; the customer ingest resolved it to."""
        body = {
            "event_name": "DM_STARTED",
            "event_id": f"evt-{uuid.uuid4().hex[:12]}",
            "timestamp": self.customers.clock.now().isoformat(),
            "contact": contact,
            "source": "ig",
        }
        answer = await self.ingest.post("/api/events", json=body, headers=self.customers.auth())
        assert answer.status_code == 202, answer.text
        customer: str = answer.json()["customer_id"]
        return customer

    async def create(self, **fields: Any) -> str:
        created = await self.customers.call("POST", "/api/customers", json=fields)
        assert created.status_code == 201, created.text
        customer: str = created.json()["id"]
        return customer

    async def card(self, customer: str, check: Callable[[dict[str, Any]], bool]) -> Any:
        answer = await eventually(
            lambda: self.customers.call("GET", f"/api/customers/{customer}"),
            lambda got: got.status_code == 200 and check(got.json()),
        )
        return answer.json()


@asynccontextmanager
async def started(
    kafka_bootstrap: str,
    postgres_url: str,
    redis_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> AsyncIterator[Both]:
    """Ingest and the customers service sharing a topic and a clock; customers claims at this
    ingest."""
    clock = FixedClock(T)
    topic = new_topic(partitions=3)
    async with ingest_app(
        postgres_url, kafka_bootstrap, redis_url, topic, accounts_file, clock
    ) as ingest:
        claims = IngestClaims("http://ingest", SERVICE_TOKEN, transport=ingest._transport)
        settings = customers_settings(new_database, kafka_bootstrap, topic, accounts_file)
        try:
            async with running(settings, claims=claims, clock=clock) as customers:
                yield Both(customers, ingest, new_database)
        finally:
            await claims.close()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def mail(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.no"


async def test_a_new_email_frees_the_old_one_for_another_customer(
    kafka_bootstrap: str,
    postgres_url: str,
    redis_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> None:
    args = (kafka_bootstrap, postgres_url, redis_url, new_database, new_topic, accounts_file)
    async with started(*args) as crm:
        old, new = mail("kari"), mail("kari.n")
        kari = await crm.create(name="Kari", email=old, phone="+4741234567")
        changed = await crm.customers.call("PUT", f"/api/customers/{kari}", json={"email": new})
        assert changed.status_code == 200, changed.text
        assert changed.json()["email"] == new
        # The old address may be given to a new customer; its events (and its hash's) are
        # theirs; Kari keeps the new address and the phone.
        ola = await crm.create(name="Ola", email=old)
        assert await crm.event({"email": old}) == ola
        assert await crm.event({"email_sha256": sha(old)}) == ola
        assert await crm.event({"email": new}) == kari
        assert await crm.event({"phone": "+4741234567"}) == kari
        # A cleared phone is released too: an event with it is somebody new.
        cleared = await crm.customers.call("PUT", f"/api/customers/{kari}", json={"phone": None})
        assert cleared.status_code == 200, cleared.text
        assert await crm.event({"phone": "+4741234567"}) not in (kari, ola)


async def test_a_change_racing_an_event_with_the_old_email_leaves_one_holder_shown_on_its_card(
    kafka_bootstrap: str,
    postgres_url: str,
    redis_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> None:
    args = (kafka_bootstrap, postgres_url, redis_url, new_database, new_topic, accounts_file)
    async with started(*args) as crm:
        raced: list[tuple[str, str, str, str]] = []
        for round_ in range(8):
            old, new = mail(f"r{round_}"), mail(f"r{round_}.new")
            kari = await crm.create(name=f"Kari {round_}", email=old)
            changed, resolved = await asyncio.gather(
                crm.customers.call("PUT", f"/api/customers/{kari}", json={"email": new}),
                crm.event({"email": old}),
            )
            assert changed.status_code == 200, changed.text
            raced.append((kari, old, new, resolved))
        for kari, old, new, resolved in raced:
            # Whoever holds the old address now (if anyone) is not Kari, and an event with it
            # finds that one holder again.
            holder = await crm.event({"email": old})
            assert holder != kari
            if resolved != kari:
                assert holder == resolved
            kari_card = await crm.card(kari, lambda card, new=new: card.get("email") == new)
            assert kari_card["email"] == new
            holder_card = await crm.card(holder, lambda card, old=old: card.get("email") == old)
            assert holder_card["email"] == old


async def test_a_commit_failing_after_the_claim_claims_the_committed_set_again(
    kafka_bootstrap: str,
    postgres_url: str,
    redis_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> None:
    args = (kafka_bootstrap, postgres_url, redis_url, new_database, new_topic, accounts_file)
    async with started(*args) as crm:
        old, refused = mail("kari"), mail("refused")
        kari = await crm.create(name="Kari", email=old)
        # PostgreSQL refuses this address at commit time (a deferred constraint trigger): the
        # claim was taken by ingest, the customers service's commit fails.
        conn = await asyncpg.connect(new_database)
        try:
            await conn.execute(
                f"""
                CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.email = '{refused}' THEN
                        RAISE EXCEPTION 'refused at commit';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER UPDATE ON customers
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit();
                """
            )
        finally:
            await conn.close()
        failed = await crm.customers.call("PUT", f"/api/customers/{kari}", json={"email": refused})
        assert failed.status_code >= 500
        card = await crm.customers.call("GET", f"/api/customers/{kari}")
        assert card.json()["email"] == old
        # Ingest agrees with the card: the old address is Kari's, the refused one nobody's.
        assert await crm.event({"email": old}) == kari
        assert await crm.event({"email": refused}) != kari
