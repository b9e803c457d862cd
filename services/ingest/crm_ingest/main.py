"""Ingest's process: settings, the service spec, the wiring of its collaborators, and uvicorn.

The one place that builds things: the runtime starts the pool, the producer and Redis, and
right after, before the first request, `wire` builds what the routes use from them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from crm_ingest import consumer, repository
from crm_ingest.announce import Announcer
from crm_ingest.api import claims, connectors, deliveries, events, hooks
from crm_ingest.api.callers import Gate
from crm_ingest.api.wiring import Wiring
from crm_ingest.graph_api import GraphApi
from crm_ingest.rate_limit import RateLimiter
from crm_ingest.service.acceptance import Acceptor
from crm_ingest.service.account_settings import SettingsCache
from crm_ingest.service.claims import Claims
from crm_ingest.service.connectors import ConnectorIngestion
from crm_ingest.service.deliveries import Deliveries
from crm_ingest.service.events import Ingestion
from crm_ingest.service.group_commit import GroupCommit
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.consumer import Fetching
from crm_servicekit.http import serve
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app, purge_periodically

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(
    settings: IngestSettings, clock: Clock = SYSTEM_CLOCK, accounts: Accounts | None = None
) -> FastAPI:
    spec = ServiceSpec(
        settings=settings,
        title="Frazer CRM ingest",
        # The deliveries list before the hooks: a provider path under /api/hooks never shadows it.
        routers=[events.router, deliveries.router, hooks.router, connectors.router, claims.router],
        migrations_dir=MIGRATIONS,
        handler=consumer.handler,
        wanted=consumer.CONSUMED,
        uses_redis=True,
        # Ingest reads the whole topic for CUSTOMER_DELETED alone: batches of up to a second
        # (or 1 MiB) cost it far fewer fetches, batches and offset commits than one per
        # handful of messages, and freeing a deleted customer's identities a second later
        # changes nothing for anyone.
        fetching=Fetching(max_records=5000, fetch_max_wait_ms=1000, fetch_min_bytes=1 << 20),
        background=[purge_old_records, purge_old_deliveries, close_graph_api_at_shutdown],
        wire=lambda res: wire(settings, res),
    )
    return build_service_app(spec, clock=clock, accounts=accounts)


def wire(settings: IngestSettings, res: Resources) -> Wiring:
    """What the routes use, from what the runtime started."""
    assert res.redis is not None, "ingest's spec asks for Redis"
    announcer = Announcer(
        producer=res.producer,
        topic=settings.events_topic,
        send_timeout_s=settings.kafka_send_timeout_s,
    )
    acceptor = Acceptor(pool=res.pool, announcer=announcer)
    account_settings = SettingsCache(res.pool)
    graph_api = GraphApi(settings.graph_api_base, timeout_s=settings.graph_timeout_s)
    singles = GroupCommit(
        acceptor, max_in_flight=settings.group_commit_in_flight, max_group=settings.max_batch_items
    )
    limiter = RateLimiter(
        res.redis,
        per_second=settings.rate_limit_per_s,
        burst=settings.rate_limit_burst,
        key_prefix=settings.redis_key_prefix,
        redis_timeout_s=settings.rate_limit_redis_timeout_s,
        probe_every_s=settings.rate_limit_probe_every_s,
    )
    return Wiring(
        settings=settings,
        gate=Gate(
            accounts=res.accounts,
            clock=res.clock,
            limiter=limiter,
            webhook_tolerance=timedelta(seconds=settings.webhook_tolerance_s),
        ),
        ingestion=Ingestion(
            settings=settings,
            clock=res.clock,
            acceptor=acceptor,
            singles=singles,
            account_settings=account_settings,
        ),
        claims=Claims(
            pool=res.pool, accounts=res.accounts, clock=res.clock, account_settings=account_settings
        ),
        connectors=ConnectorIngestion(
            settings=settings, acceptor=acceptor, graph=graph_api, account_settings=account_settings
        ),
        graph_api=graph_api,
        deliveries=Deliveries(pool=res.pool),
        account_settings=account_settings,
    )


async def purge_old_records(res: Resources) -> None:
    """Drop de-duplication records past the retention (kept at least 30 days: see
    docs/architecture.md, ingest)."""
    settings = res.settings
    assert isinstance(settings, IngestSettings)

    async def purge() -> int:
        cutoff = res.clock.now() - timedelta(days=settings.dedupe_retention_days)
        async with res.pool.acquire() as conn:
            return await repository.purge_records(conn, cutoff)

    await purge_periodically(res, purge, what="de-duplication records")


async def close_graph_api_at_shutdown(res: Resources) -> None:
    """The Graph API client keeps its connections for the service's life; the runtime closes
    only what it opened itself, so this loop closes the client once the service stops."""
    await res.stop.wait()
    wiring = res.wiring
    assert isinstance(wiring, Wiring), "ingest's spec wires a Wiring"
    await wiring.graph_api.aclose()


async def purge_old_deliveries(res: Resources) -> None:
    """Drop deliveries log rows past their retention (deliveries_retention_days)."""
    settings = res.settings
    assert isinstance(settings, IngestSettings)
    log = Deliveries(pool=res.pool)

    async def purge() -> int:
        return await log.purge(res.clock.now() - timedelta(days=settings.deliveries_retention_days))

    await purge_periodically(res, purge, what="deliveries log rows")


def run() -> None:
    settings = IngestSettings()
    serve(build_app(settings), settings)
