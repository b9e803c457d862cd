"""Benchmark of the rules service against real Kafka and PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 uv run python -m bench.rules [--customers N]

Runs the service in-process on a fresh database and a fresh topic (both removed after), then
measures (1) rule throughput: a synthetic history of N customers produced at once, events
applied per second until the last one is in; (2) latency: one NO_SHOW at a time for a new
customer, from the broker's acknowledgement to the reminder readable through the API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from crm_rules.main import build_app
from crm_rules.settings import RulesSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.auth import mint_token
from crm_servicekit.db import plain_postgres_dsn
from crm_servicekit.gc_tuning import freeze_startup_heap
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of
from crm_servicekit.settings import with_database_name

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# A customer's journey through the method: (event, hours after their first DM, properties).
JOURNEY: tuple[tuple[str, float, dict[str, object]], ...] = (
    ("DM_STARTED", 0, {}),
    ("MESSAGE_SENT", 0.1, {"channel": "ig"}),
    ("MESSAGE_RECEIVED", 2, {"channel": "ig"}),
    ("INVITE_SENT", 5, {}),
    ("LEAD_QUALIFIED", 20, {"prospect_why": "time with family"}),
    ("MEETING_BOOKED", 22, {"booking_time": (T0 + timedelta(days=3)).isoformat()}),
    ("NO_SHOW", 72, {}),
    ("MEETING_BOOKED", 80, {"booking_time": (T0 + timedelta(days=5)).isoformat()}),
    ("VIDEO_SENT", 90, {}),
    ("FOLLOW_UP_DONE", 120, {}),
)


def envelope(
    name: str, at: datetime, customer: uuid.UUID, props: dict[str, object]
) -> EventEnvelope:
    return EventEnvelope(
        event_name=name,
        event_id=f"bench-{uuid.uuid4().hex}",
        timestamp=at,
        account_id="bench",
        customer_id=customer,
        source="ig",
        properties=props,
        received_at=at,
        producer="bench",
    )


def history(customers: int) -> list[EventEnvelope]:
    events = []
    for n in range(customers):
        customer, start = uuid.uuid4(), T0 + timedelta(minutes=n)
        events += [
            envelope(name, start + timedelta(hours=hours), customer, props)
            for name, hours, props in JOURNEY
        ]
    return events


async def produce(bootstrap: str, topic: str, events: list[EventEnvelope]) -> None:
    producer = idempotent_producer(bootstrap, client_id="rules-bench")
    await producer.start()
    try:
        await publish_in_order(producer, [record_of(e, topic) for e in events])
    finally:
        await producer.stop()


async def applied(dsn: str) -> int:
    conn = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM processed_events"))
    finally:
        await conn.close()


async def throughput(base: RulesSettings, settings: RulesSettings, customers: int) -> float:
    events = history(customers)
    started = time.perf_counter()
    await produce(base.kafka_bootstrap_servers, settings.events_topic, events)
    while True:  # polled: the consumer offers no completion signal to wait on
        if await applied(str(settings.database_url)) >= len(events):
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    print(
        f"throughput: {len(events)} events of {customers} customers in {elapsed:.2f} s"
        f" = {len(events) / elapsed:.0f} events/s applied"
    )
    return len(events) / elapsed


async def latency(
    settings: RulesSettings, client: httpx.AsyncClient, samples: int
) -> dict[str, float]:
    token = mint_token(settings.jwt_secret, "bench", "bench", timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    producer = idempotent_producer(settings.kafka_bootstrap_servers, client_id="rules-bench")
    await producer.start()
    seconds = []
    try:
        for _ in range(samples):
            customer = uuid.uuid4()
            event = envelope("NO_SHOW", T0, customer, {})
            await publish_in_order(producer, [record_of(event, settings.events_topic)])
            accepted = time.perf_counter()
            while True:
                answer = await client.get(
                    "/api/reminders", params={"customer_id": str(customer)}, headers=headers
                )
                if answer.json()["items"]:
                    break
                await asyncio.sleep(0.002)
            seconds.append(time.perf_counter() - accepted)
    finally:
        await producer.stop()
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    print(
        f"latency (acknowledged by Kafka -> reminder readable through the API), {samples} samples:"
        f" p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms,"
        f" max {max(seconds) * 1000:.1f} ms"
    )
    return {
        "samples": samples,
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def handler_figures(metrics: str) -> str:
    """Batches applied and their mean time, from the service's own Prometheus metrics."""
    values = {}
    for line in metrics.splitlines():
        for name in ("crm_handler_latency_seconds_sum", "crm_handler_latency_seconds_count"):
            if line.startswith(name + '{service="rules"}'):
                values[name] = float(line.rsplit(" ", 1)[1])
    batches = values.get("crm_handler_latency_seconds_count", 0.0)
    total = values.get("crm_handler_latency_seconds_sum", 0.0)
    mean = total / batches * 1000 if batches else 0.0
    return f"handler: {batches:.0f} batches, {total:.1f} s in transactions, mean {mean:.0f} ms"


async def main(customers: int, samples: int) -> dict[str, object]:
    base = RulesSettings()
    run_id = uuid.uuid4().hex[:8]
    name, topic = f"rules_bench_{run_id}", f"rules-bench-{run_id}"
    server = plain_postgres_dsn(with_database_name(str(base.database_url), "postgres"))
    admin_conn = await asyncpg.connect(server)
    await admin_conn.execute(f'CREATE DATABASE "{name}"')
    admin = AIOKafkaAdminClient(bootstrap_servers=base.kafka_bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=12, replication_factor=1)])
    settings = base.model_copy(
        update={
            "database_url": with_database_name(server, name),
            "events_topic": topic,
            "consumer_group": f"rules-bench-{run_id}",  # never the running system's group
        }
    )
    app = build_app(settings, accounts=Accounts([Account(account_id="bench")]))
    freeze_startup_heap()  # as serve() does before it runs a service
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://b"
            ) as client,
        ):
            rate = await throughput(base, settings, customers)
            print(handler_figures((await client.get("/metrics")).text))
            latencies = await latency(settings, client, samples)
            return {
                "benchmark": "rules",
                "customers": customers,
                "events": customers * len(JOURNEY),
                "events_per_s": round(rate, 1),
                "latency": latencies,
            }
    finally:
        await admin.delete_topics([topic])
        await admin.close()
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin_conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    figures = asyncio.run(main(args.customers, args.samples))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
