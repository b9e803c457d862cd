"""One service process: its HTTP API, its consumer, its outbox relay and its timers, wired once.

A service describes itself with a ServiceSpec (routers, migrations, the batch handler and
the event names it needs, background loops); `build_service_app` returns the FastAPI app
whose lifespan starts and stops everything in order. Shutdown stops consuming first (an
unfinished batch rolls back and its offsets stay uncommitted), then the loops, the relay,
the producer and the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from crm_schemas.envelope import EventEnvelope
from crm_schemas.topics import DLQ_TOPIC
from crm_servicekit.accounts import Accounts
from crm_servicekit.accounts_reload import AccountsFileWatcher
from crm_servicekit.batch_apply import BatchApplier, BatchHandler
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.connection import Conn
from crm_servicekit.consumer import Fetching, register_consumer
from crm_servicekit.db import apply_migrations_in_thread, create_service_pool, plain_postgres_dsn
from crm_servicekit.dlq import DeadLetter, send_dead_letters
from crm_servicekit.failures import is_transient
from crm_servicekit.health import add_readiness_check, postgres_check, redis_check
from crm_servicekit.http import create_app
from crm_servicekit.idempotency import purge_expired_idempotency_keys
from crm_servicekit.kafka import idempotent_producer
from crm_servicekit.outbox import OutboxRelay
from crm_servicekit.runtime_gauges import service_gauges
from crm_servicekit.settings import ServiceSettings

log = structlog.get_logger(__name__)


@dataclass
class Resources:
    """What a running service holds; routes reach it through `resources(request)`."""

    settings: ServiceSettings
    accounts: Accounts
    clock: Clock
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    redis: Redis | None
    stop: asyncio.Event
    # What the service's `wire` built from the above (its routes' collaborators), if any.
    wiring: object = None
    # What keeps `accounts` following the file; a consumer meeting an unknown account asks
    # it to look now (`poll_for`). None where no runtime runs (benchmarks, tests).
    accounts_file: AccountsFileWatcher | None = None


HandlerFactory = Callable[[Resources], BatchHandler]
BackgroundLoop = Callable[[Resources], Awaitable[None]]
W = TypeVar("W")


@dataclass
class ServiceSpec:
    settings: ServiceSettings
    title: str
    routers: Sequence[APIRouter] = ()
    migrations_dir: Path | None = None
    # The consumer: a handler built from the resources, and the event names it needs
    # (None: all). No handler, no consumer.
    handler: HandlerFactory | None = None
    wanted: frozenset[str] | None = None
    # Among the wanted names, which decoded events to take (None: all of them).
    accepts: Callable[[EventEnvelope], bool] | None = None
    # The topic consumed (and written by the outbox relay); None: the settings' events_topic.
    topic: str | None = None
    dlq_topic: str = DLQ_TOPIC
    # The consumer group; the service's name unless a test or a benchmark needs its own.
    group_id: str | None = None
    fetching: Fetching = field(default_factory=Fetching)
    relay_outbox: bool = False
    uses_redis: bool = False
    # Long-running loops (schedulers, timers) that return once resources.stop is set.
    background: Sequence[BackgroundLoop] = field(default_factory=tuple)
    # Readings of the service's own gauges, refreshed with the runtime's (runtime_gauges.py).
    gauges: Sequence[BackgroundLoop] = field(default_factory=tuple)
    # Builds what the routes use from the started resources, once, before the first request;
    # routes reach it through `wired(...)`. Collaborators that need the pool or the producer
    # are built here rather than on a first request.
    wire: Callable[[Resources], object] | None = None

    @property
    def consumed_topic(self) -> str:
        return self.topic if self.topic is not None else self.settings.events_topic

    @property
    def consumer_group(self) -> str:
        return self.group_id or self.settings.consumer_group or self.settings.service_name


def resources(request: Request) -> Resources:
    found = getattr(request.app.state, "resources", None)
    if not isinstance(found, Resources):
        raise RuntimeError("the service is not started: no resources on the app")
    return found


def wired(kind: type[W]) -> Callable[[Request], Awaitable[W]]:
    """A FastAPI dependency giving what the spec's `wire` built, checked to be a `kind`:
    `Annotated[Wiring, Depends(wired(Wiring))]` types a route's collaborators."""

    async def dependency(request: Request) -> W:
        found = resources(request).wiring
        if not isinstance(found, kind):
            raise RuntimeError(f"the service wired no {kind.__name__} at start-up")
        return found

    return dependency


def build_service_app(
    spec: ServiceSpec, *, clock: Clock = SYSTEM_CLOCK, accounts: Accounts | None = None
) -> FastAPI:
    settings = spec.settings
    # Given accounts (tests) are kept until the file changes; else the file's are read now.
    watcher = AccountsFileWatcher(settings.accounts_file, accounts, service=settings.service_name)
    accounts = watcher.accounts

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if spec.migrations_dir is not None:
            await apply_migrations_in_thread(settings.database_url, spec.migrations_dir)
        async with contextlib.AsyncExitStack() as stack:
            pool = await create_service_pool(settings)
            stack.push_async_callback(pool.close)
            redis = None
            if spec.uses_redis:
                redis = Redis.from_url(str(settings.redis_url))
                stack.push_async_callback(redis.aclose)
                # No service needs Redis to do its work (ingest then limits rates in its own
                # process; stats' ticker routes answer 503 while its figures go on), so a
                # Redis outage must not take every replica out of the load balancer.
                add_readiness_check(app, "redis", redis_check(redis), degrades=True)
            producer = idempotent_producer(
                settings.kafka_bootstrap_servers, client_id=settings.service_name
            )
            await producer.start()
            stack.push_async_callback(producer.stop)
            res = Resources(settings, accounts, clock, pool, producer, redis, asyncio.Event())
            res.accounts_file = watcher
            if spec.wire is not None:
                res.wiring = spec.wire(res)
            app.state.resources = res
            add_readiness_check(app, "postgres", postgres_check(pool))
            add_readiness_check(app, "kafka", kafka_check(producer))
            # A file that does not parse leaves every replica of every service serving the
            # last good accounts, so it degrades readiness rather than failing it: a typo in
            # a shared file must not take them all out of the load balancer at once.
            add_readiness_check(app, "accounts", watcher.readiness, degrades=True)
            tasks = _start_loops(spec, res, watcher)
            stack.push_async_callback(_stop_loops, res, tasks)
            if spec.handler is not None:
                broker = _consumer_broker(spec, res)
                await broker.start()
                # Registered last, so it runs first at shutdown: stop taking new batches.
                stack.push_async_callback(broker.stop)
            log.info("service started", service=settings.service_name)
            yield
            log.info("service stopping", service=settings.service_name)

    return create_app(
        settings, accounts, title=spec.title, routers=spec.routers, lifespan=lifespan, clock=clock
    )


def kafka_check(producer: AIOKafkaProducer) -> Callable[[], Awaitable[None]]:
    async def metadata() -> None:
        # A metadata round trip to the broker (aiokafka's public calls answer from cache).
        await producer.client.fetch_all_metadata()

    return metadata


def _consumer_broker(spec: ServiceSpec, res: Resources) -> KafkaBroker:
    assert spec.handler is not None

    async def dead_letter(letters: list[DeadLetter]) -> None:
        await send_dead_letters(
            res.producer, letters, service=res.settings.service_name, topic=spec.dlq_topic
        )

    handler = spec.handler(res)

    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        # Ingest may have read a newer accounts file and accepted an account's first events
        # before this replica's next poll: look now rather than decide without the account.
        if res.accounts_file is not None:
            await res.accounts_file.poll_for({event.account_id for event in events})
        await handler(conn, events)

    applier = BatchApplier(
        pool=res.pool,
        handler=handle,
        service=res.settings.service_name,
        group_id=spec.consumer_group,
        dead_letter=dead_letter,
        wanted=spec.wanted,
        accepts=spec.accepts,
    )
    broker = KafkaBroker(res.settings.kafka_bootstrap_servers, logger=None)
    register_consumer(broker, applier, topic=spec.consumed_topic, fetching=spec.fetching)
    return broker


PURGE_EVERY_S = 3600.0


async def purge_periodically(
    res: Resources,
    purge: Callable[[], Awaitable[int]],
    *,
    what: str,
    every_s: float = PURGE_EVERY_S,
) -> None:
    """Run `purge` (returning how many rows it removed) now and then every `every_s`."""
    while not res.stop.is_set():
        purged = await purge()
        if purged:
            log.info("purged", what=what, count=purged)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(res.stop.wait(), timeout=every_s)


async def purge_idempotency_keys(res: Resources) -> None:
    """Forget Idempotency-Key answers older than their 24 hours, once an hour."""
    await purge_periodically(
        res,
        lambda: purge_expired_idempotency_keys(res.pool, now=res.clock.now()),
        what="idempotency keys",
    )


def _start_loops(
    spec: ServiceSpec, res: Resources, watcher: AccountsFileWatcher
) -> list[asyncio.Task[None]]:
    async def watch_accounts_file(r: Resources) -> None:
        await watcher.run(r.stop, r.settings.accounts_reload_interval_s)

    loops = [*spec.background, purge_idempotency_keys, watch_accounts_file, service_gauges(spec)]
    if spec.relay_outbox:
        relay = OutboxRelay(
            dsn=plain_postgres_dsn(res.settings.database_url),
            producer=res.producer,
            service=res.settings.service_name,
        )
        loops.append(lambda r: relay.run(r.stop))
    return [asyncio.create_task(_supervised(loop, res)) for loop in loops]


async def _supervised(loop: BackgroundLoop, res: Resources) -> None:
    """Keep a loop running until shutdown; a crash is logged and the loop restarted."""
    while not res.stop.is_set():
        try:
            await loop(res)
        except Exception as error:
            if is_transient(error):  # an outage: expected now and then, and not a bug
                cause = {"error_class": type(error).__name__, "error": str(error)[:500]}
                log.warning("background loop met an outage; restarting", loop=repr(loop), **cause)
            else:
                log.exception("background loop failed; restarting", loop=repr(loop))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(res.stop.wait(), timeout=1.0)


async def _stop_loops(res: Resources, tasks: list[asyncio.Task[None]]) -> None:
    res.stop.set()
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()
