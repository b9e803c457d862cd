"""The gauges a service process refreshes on a timer, whether or not it consumes anything:
its consumer group's lag (from the broker), its outbox backlog, its database pool, and what
the service adds of its own (rules: the scheduler's backlog).

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

if TYPE_CHECKING:  # the runtime imports this module to start the timer
    from crm_servicekit.runtime import BackgroundLoop, Resources, ServiceSpec

log = structlog.get_logger(__name__)

# Sets one or more gauges from what it reads; raises when it cannot read.
GaugeReading = Callable[[], Awaitable[None]]
READING_TIMEOUT_S = 10.0


class ConsumerLagReading:
    """crm_consumer_lag of every partition of the topic, for the service's group. Its Kafka
    clients are made at the first reading and made anew after a failed one."""

    def __init__(self, bootstrap: str, *, service: str, group: str, topic: str) -> None:
        self.bootstrap, self.service, self.group, self.topic = bootstrap, service, group, topic
        self._reader: OffsetsReader | None = None

    async def __call__(self) -> None:
        try:
            if self._reader is None:
                reader = OffsetsReader(self.bootstrap, client_id=f"{self.service}-lag")
                await reader.start()
                self._reader = reader
            offsets = await self._reader.group_offsets(self.group, self.topic)
        except BaseException:
            await self.close()
            raise
        for tp, lag in offsets.lag().items():
            CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(lag)

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.close()


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
