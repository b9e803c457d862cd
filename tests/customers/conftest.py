"""A customers service under test: real PostgreSQL and Kafka, a fresh topic, a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import httpx
import pytest
from rebuild_support import own_database, rebuild_group

from crm_customers.customers.claims import IngestClaims
from crm_customers.main import build_app
from crm_customers.settings import CustomersSettings
from crm_ingest.schemas import ClaimedIdentities, ClaimRequest
from crm_servicekit.accounts import Account, Accounts, load_accounts, write_accounts_file
from crm_servicekit.auth import Role, mint_token
from crm_servicekit.clock import FixedClock

from .events import T

if TYPE_CHECKING:
    from .with_ingest import Both

ACCOUNTS = [Account(account_id="acme"), Account(account_id="other", default_region="SE")]


class FakeClaims(IngestClaims):
    """The production claim client reaching ingest's claim endpoint played in memory (only the
    transport differs): the first customer to claim an identity keeps it."""

    def __init__(self) -> None:
        self.holders: dict[tuple[str, str, str], UUID] = {}
        self.calls: list[tuple[str, UUID, dict[str, Any]]] = []
        self.releases: list[dict[str, Any]] = []
        super().__init__("http://ingest", None, transport=httpx.MockTransport(self._endpoint))

    def _endpoint(self, request: httpx.Request) -> httpx.Response:
        # Read as ingest reads it, so a body off its contract fails here as it would there.
        claim = ClaimRequest.model_validate_json(request.content)
        account_id, customer_id = claim.account_id, claim.customer_id
        identities = request_part(claim.identities)
        release = request_part(claim.release)
        self.calls.append((account_id, customer_id, identities))
        self.releases.append(release)
        flat = _flat(identities)
        for kind, value in flat:
            holder = self.holders.get((account_id, kind, value))
            if holder is not None and holder != customer_id:
                held = {
                    "detail": f"The {kind} is held by another customer.",
                    "holder_customer_id": str(holder),
                    "identity": {"kind": kind, "value": value},
                }
                return httpx.Response(409, json=held)
        # As ingest: of each kind named, the claimed value replaces the customer's other one.
        named = {kind for kind, _ in flat}
        for key, holder in list(self.holders.items()):
            replaced = key[0] == account_id and key[1] in named and (key[1], key[2]) not in flat
            if holder == customer_id and (replaced or (key[1], key[2]) in _flat(release)):
                del self.holders[key]
        for kind, value in flat:
            self.holders[(account_id, kind, value)] = customer_id
        return httpx.Response(200, json={"customer_id": str(customer_id), "claimed": []})


def request_part(identities: ClaimedIdentities | None) -> dict[str, Any]:
    """A claim's identities (or release) as the client sent them."""
    return identities.model_dump(mode="json", exclude_none=True) if identities else {}


def _flat(identities: dict[str, Any]) -> list[tuple[str, str]]:
    flat = [(k, v) for k, v in identities.items() if k != "handles"]
    return flat + [(f"handle:{k}", v) for k, v in (identities.get("handles") or {}).items()]


@dataclass
class Service:
    client: httpx.AsyncClient
    clock: FixedClock
    settings: CustomersSettings
    claims: FakeClaims
    bootstrap: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return self.settings.events_topic

    async def call(
        self,
        method: str,
        path: str,
        *,
        account: str = "acme",
        json: Any = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        """A person's request, a second after the previous one (distinct request times)."""
        self.clock.advance(timedelta(seconds=1))
        headers = self.auth(account)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.request(method, path, json=json, params=params, headers=headers)

    def auth(
        self, account: str = "acme", sub: str = "marketer-1", role: Role = Role.MEMBER
    ) -> dict[str, str]:
        token = mint_token(
            self.settings.jwt_secret, account, sub, timedelta(days=30), role=role, clock=self.clock
        )
        return {"Authorization": f"Bearer {token}"}


def customers_settings(
    database: str, bootstrap: str, topic: str, accounts_file: Path
) -> CustomersSettings:
    return CustomersSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        accounts_file=accounts_file,
        environment="test",
        events_topic=topic,
    )


@asynccontextmanager
async def running(
    settings: CustomersSettings,
    *,
    claims: IngestClaims | None = None,
    clock: FixedClock | None = None,
    accounts: Accounts | None = None,
) -> AsyncIterator[Service]:
    """The whole service (API, consumer, outbox relay, seeding loop) started as its main
    would; `accounts` stands in for the registry read from the settings' file."""
    clock = clock or FixedClock(T)
    fake = FakeClaims()
    registry = accounts if accounts is not None else load_accounts(settings.accounts_file)
    app = build_app(settings, clock, registry, claims=claims or fake)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://customers") as client,
    ):
        yield Service(client, clock, settings, fake, settings.kafka_bootstrap_servers)


class RebuildSettings(CustomersSettings):
    # The consumer group is named after the service.
    service_name: ClassVar[str] = rebuild_group("customers")


@dataclass(frozen=True)
class Stores:
    """A first store's settings (a database and a topic of their own), and a store rebuilt
    from that topic (docs/architecture.md, rebuilding from the topic)."""

    first: CustomersSettings
    postgres_url: str

    @property
    def database(self) -> str:
        """The first store's database URL."""
        return str(self.first.database_url)

    @asynccontextmanager
    async def rebuilt(self, clock: FixedClock | None = None) -> AsyncIterator[tuple[Service, str]]:
        """The service on a database of its own, its consumer group starting at the topic's
        beginning; yields it and its database's URL."""
        async with own_database(self.postgres_url, "rebuild") as database:
            settings = RebuildSettings(
                database_url=database,
                kafka_bootstrap_servers=self.first.kafka_bootstrap_servers,
                accounts_file=self.first.accounts_file,
                environment="test",
                events_topic=self.first.events_topic,
            )
            async with running(settings, clock=clock) as rebuilt:
                yield rebuilt, database


@pytest.fixture
def accounts_file(tmp_path: Path) -> Path:
    return write_accounts_file(tmp_path / "accounts.yaml", ACCOUNTS)


@pytest.fixture
async def service(stores: Stores) -> AsyncIterator[Service]:
    async with running(stores.first) as started:
        yield started


@pytest.fixture
async def crm(stores: Stores, redis_url: str) -> AsyncIterator[Both]:
    """Ingest and the customers service together, customers claiming at that ingest."""
    from .with_ingest import started  # it builds on this module's service

    async with started(stores.first, stores.postgres_url, redis_url) as both:
        yield both


@pytest.fixture
def stores(
    kafka_bootstrap: str,
    postgres_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> Stores:
    """The first store's settings (the customers service's under test) and what a rebuild of
    it needs."""
    topic = new_topic(partitions=3)
    settings = customers_settings(new_database, kafka_bootstrap, topic, accounts_file)
    return Stores(settings, postgres_url)
