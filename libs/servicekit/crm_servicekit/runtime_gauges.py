"""The gauges a service process refreshes on a timer, whether or not it consumes anything:
its consumer group's lag (from the broker, by one replica at a time), its outbox backlog, its
database pool, and what the service adds of its own (rules: the scheduler's backlog).

A reading that fails (an outage) leaves its gauges at their last value and is tried again at
the next tick; the failure is logged once, and so is the recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import asyncpg
import structlog

from crm_servicekit.consumer_lag import OffsetsReader
from crm_servicekit.db import plain_postgres_dsn
from crm_servicekit.metrics import (
    CONSUMER_LAG,
    DB_POOL_IDLE,
    DB_POOL_IN_USE,
    DB_POOL_MAX_SIZE,
    DB_POOL_SIZE,
    OUTBOX_OLDEST_UNSENT_AGE,
    OUTBOX_UNSENT,
)
from crm_servicekit.outbox import unsent_backlog
from crm_servicekit.session_lock import SessionLock

if TYPE_CHECKING:  # the runtime imports this module to start the timer
    from crm_servicekit.runtime import BackgroundLoop, Resources, ServiceSpec

log = structlog.get_logger(__name__)

# Sets one or more gauges from what it reads; raises when it cannot read.
GaugeReading = Callable[[], Awaitable[None]]
READING_TIMEOUT_S = 10.0
LOCK_CHECK_TIMEOUT_S = 3.0


class ConsumerLagReading:
    """crm_consumer_lag of every partition of the topic, for the service's group, reported by
    one replica of the service at a time: the one holding the service's lag lock.

    The lag is the broker's, the same whichever replica reads it, so N replicas each with an
    admin client and a consumer of their own would only report N copies. The others stand by
    on an idle database connection and open no Kafka client; when the active one stops or
    loses its connection, the next tick of another one takes over. A replica that finds
    another active drops the series it reported, so a stale value never outlives a handover
    (alert rules take the max per partition over replicas all the same). While the database
    cannot say who holds the lock, a replica keeps its last known part: an outage of the
    database is no reason to stop reporting a lag that is then growing.

    The Kafka clients are made at the first active reading and made anew after a failed one.
    """

    def __init__(self, bootstrap: str, dsn: str, *, service: str, group: str, topic: str) -> None:
        self.bootstrap, self.service, self.group, self.topic = bootstrap, service, group, topic
        self._lock = SessionLock(dsn, f"consumer-lag:{service}")
        self._reader: OffsetsReader | None = None
        self._reported: set[tuple[str, str, str]] = set()
        self.active = False
        self._lock_failing = False

    async def __call__(self) -> None:
        self.active = await self._still_active()
        if not self.active:
            await self._close_reader()
            self._drop_reported()
            return
        try:
            if self._reader is None:
                reader = OffsetsReader(self.bootstrap, client_id=f"{self.service}-lag")
                await reader.start()
                self._reader = reader
            offsets = await self._reader.group_offsets(self.group, self.topic)
        except BaseException:
            await self._close_reader()
            raise
        for tp, lag in offsets.lag().items():
            labels = (self.service, tp.topic, str(tp.partition))
            CONSUMER_LAG.labels(*labels).set(lag)
            self._reported.add(labels)

    async def _still_active(self) -> bool:
        try:
            # Bounded apart from the reading's own timeout: a database that does not answer
            # must leave time to read the lag.
            async with asyncio.timeout(LOCK_CHECK_TIMEOUT_S):
                active = await self._lock.held()
        except Exception as error:
            if not self._lock_failing:
                self._lock_failing = True
                log.warning(
                    "consumer lag lock unknown; keeping this replica's part",
                    active=self.active,
                    error=repr(error)[:500],
                )
            return self.active
        if self._lock_failing:
            self._lock_failing = False
            log.info("consumer lag lock known again", active=active)
        return active

    def _drop_reported(self) -> None:
        for labels in self._reported:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(*labels)
        self._reported.clear()

    async def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.close()

    async def close(self) -> None:
        """Let go of the Kafka clients and of the lock, for another replica to take now."""
        await self._close_reader()
        with contextlib.suppress(Exception):
            await self._lock.release()
        self.active = False


def pool_reading(pool: asyncpg.Pool, service: str) -> GaugeReading:
    async def read() -> None:
        size, idle = pool.get_size(), pool.get_idle_size()
        DB_POOL_SIZE.labels(service).set(size)
        DB_POOL_IDLE.labels(service).set(idle)
        DB_POOL_IN_USE.labels(service).set(size - idle)
        DB_POOL_MAX_SIZE.labels(service).set(pool.get_max_size())

    return read


def outbox_reading(pool: asyncpg.Pool, service: str) -> GaugeReading:
    async def read() -> None:
        async with pool.acquire() as conn:
            backlog = await unsent_backlog(conn)
        OUTBOX_UNSENT.labels(service).set(backlog.rows)
        OUTBOX_OLDEST_UNSENT_AGE.labels(service).set(backlog.oldest_age_s)

    return read


async def refresh_gauges(
    readings: Mapping[str, GaugeReading], stop: asyncio.Event, *, every_s: float
) -> None:
    """Take every reading now and then every `every_s`, until stop is set."""
    failing: set[str] = set()
    while not stop.is_set():
        for name, reading in readings.items():
            try:
                # An outage never holds the other readings up for long.
                async with asyncio.timeout(max(every_s, READING_TIMEOUT_S)):
                    await reading()
            except Exception as error:
                if name not in failing:
                    failing.add(name)
                    log.warning("gauge reading failed", gauge=name, error=repr(error)[:500])
            else:
                if name in failing:
                    failing.discard(name)
                    log.info("gauge reading recovered", gauge=name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)


def service_gauges(spec: ServiceSpec) -> BackgroundLoop:
    """The runtime's timer: the pool always, the outbox if the service relays one, the
    group's lag if it consumes, and the service's own readings (`spec.gauges`)."""

    async def loop(res: Resources) -> None:
        service = res.settings.service_name
        readings: dict[str, GaugeReading] = {"pool": pool_reading(res.pool, service)}
        if spec.relay_outbox:
            readings["outbox"] = outbox_reading(res.pool, service)
        lag = None
        if spec.handler is not None:
            lag = ConsumerLagReading(
                res.settings.kafka_bootstrap_servers,
                plain_postgres_dsn(res.settings.database_url),
                service=service,
                group=spec.consumer_group,
                topic=spec.consumed_topic,
            )
            readings["consumer_lag"] = lag
        for n, own in enumerate(spec.gauges):
            readings[f"{service}-{n}"] = functools.partial(own, res)
        try:
            await refresh_gauges(
                readings, res.stop, every_s=res.settings.metrics_refresh_interval_s
            )
        finally:
            if lag is not None:
                await lag.close()

    return loop
