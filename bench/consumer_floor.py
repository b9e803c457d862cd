"""The consumers' floor (not a test): what reading and claiming a message costs before any
domain work, at the rates a running system sees.

`uv run python -m bench.consumer_floor [--rates 500 1000 4000] [--groups 4] [--skipping 0]
[--seconds 10]`

Each of `--groups` processes runs the services' consumer runtime (the batch subscriber with
the services' fetch settings, one transaction per batch that claims every event in
`processed_events`, offsets committed after it) with a handler that does nothing, each in a
consumer group and database of its own, as the four consumer services read crm.events.v1;
each of `--skipping` processes needs none of them and turns them down by their names, as
ingest and the rules skip most of the topic.
Messages of the topic's average size are published at each rate in 20 ms slices for
`--seconds`; the window runs from the first publish until every group has claimed every
message (and every skipping group has committed the topic's end). CPU in it: the consumer
processes (claiming and skipping apart), the PostgreSQL backends serving them and the
server's own workers, and the Kafka broker (which also takes this benchmark's publishing);
the idle rate of the same processes is subtracted. Uses the local launcher's servers from the
state folder (CRM_STATE_DIR, else .local) with nothing else running on them.

Against bench.system_cpu's figure per event: its consumers read `messages per event` of these
each, so the floor under their share is about groups x messages per event x this figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil
import uvloop
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from bench.system_backlog import BacklogWatch
from bench.system_processes import SystemProcesses, used_between
from crm_devstack.databases import create_database, drop_database
from crm_devstack.settings import StackConfig
from crm_devstack.stack import servers
from crm_devstack.topics import TopicSpec, create_topics, delete_topics
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchApplier
from crm_servicekit.connection import Conn
from crm_servicekit.consumer import register_consumer
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of
from crm_servicekit.logging import configure_logging

SLICE_S = 0.02
# The average envelope of crm.events.v1 in a bench.system_cpu run (603 bytes in stats' event
# log; 790 bytes a message in the topic's log files with key, headers and framing): the
# consumers' fetches fill by bytes, so the size sets the batch sizes.
ENVELOPE_BYTES = 600
CUSTOMERS = 2_000


def messages(count: int, start: int) -> list[EventEnvelope]:
    now = datetime.now(UTC).replace(microsecond=0)

    def message(n: int, padding: str) -> EventEnvelope:
        return EventEnvelope(
            event_name="LEAD_QUALIFIED",
            event_id=f"floor-{n:09d}",
            timestamp=now,
            account_id="bench",
            customer_id=uuid.UUID(int=n % CUSTOMERS + 1),
            source="ig",
            properties={"prospect_why": padding},
            received_at=now,
            producer="bench",
        )

    padding = "w" * (ENVELOPE_BYTES - len(message(0, "").to_json()))
    return [message(n, padding) for n in range(start, start + count)]


async def nothing(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
    return None


async def serve(bootstrap: str, dsn: str, topic: str, group: str, role: str) -> None:
    """One consumer process: the runtime's applier and subscriber around a no-op handler; a
    `skip` group needs none of the messages (as ingest and the rules skip most of the topic)
    and turns them down by their names, without a transaction."""

    async def no_letters(letters: list[DeadLetter]) -> None:
        raise AssertionError(f"unexpected dead letters: {letters}")

    configure_logging("INFO", service="bench")  # the services' JSON lines, as they log
    pool = await create_pool(dsn, max_size=2)
    wanted = frozenset({"NO_SHOW"}) if role == "skip" else None
    applier = BatchApplier(pool, nothing, "bench", group, no_letters, wanted=wanted)
    broker = KafkaBroker(bootstrap, logger=None)
    register_consumer(broker, applier, topic=topic)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await broker.start()
    await stop.wait()
    await broker.stop()
    await pool.close()


class Progress:
    """The claiming groups' databases, read through one connection each for the whole run:
    how far the groups got, and how many transactions they committed."""

    def __init__(self, connections: list[asyncpg.Connection], names: list[str]) -> None:
        self._connections, self._names = connections, names
        self.polls = 0  # this benchmark's own transactions in each group's database

    @classmethod
    async def open(cls, dsns: list[str]) -> Progress:
        names = [dsn.rsplit("/", 1)[1] for dsn in dsns]
        return cls([await asyncpg.connect(dsn) for dsn in dsns], names)

    async def close(self) -> None:
        for conn in self._connections:
            await conn.close()

    async def claimed(self) -> int:
        """The fewest messages any group has claimed so far."""
        self.polls += 1
        counts = [
            await conn.fetchval("SELECT count(*) FROM processed_events")
            for conn in self._connections
        ]
        return int(min(counts))

    async def transactions(self) -> int:
        """Transactions committed in the groups' databases: about one per consumer batch."""
        return int(
            await self._connections[0].fetchval(
                "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = ANY($1)",
                self._names,
            )
        )


async def until_done(
    progress: Progress, watch: BacklogWatch, skipping: int, total: int, timeout_s: float
) -> float:
    """When every claiming group has claimed `total` messages and every skipping group has
    committed the topic's end (it commits skipped batches a little later, skipped_commits.py)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await progress.claimed() >= total:
            lag = (await watch.look()).lag
            if len(lag) == skipping and not any(lag.values()):
                return time.monotonic()
        await asyncio.sleep(0.1)  # polling for the consumers' progress, not a fixed wait
    raise RuntimeError(f"the consumers did not take {total} messages in {timeout_s} s")


async def publish_paced(
    producer: AIOKafkaProducer, topic: str, rate: float, seconds: float, start: int
) -> int:
    sent, began = 0, time.monotonic()
    while (elapsed := time.monotonic() - began) < seconds:
        due = int(rate * min(seconds, elapsed + SLICE_S)) - sent
        if due > 0:
            records = [record_of(e, topic) for e in messages(due, start + sent)]
            await publish_in_order(producer, records)
            sent += due
        await asyncio.sleep(max(0.0, began + (sent / rate) - time.monotonic()))
    return sent


def processes_of(config: StackConfig, claiming: list[int], skipping: list[int]) -> SystemProcesses:
    roots: dict[str, list[psutil.Process]] = {
        "consumers": [psutil.Process(p) for p in claiming],
        "skipping": [psutil.Process(p) for p in skipping],
    }
    if not skipping:
        del roots["skipping"]
    for server in servers(config, ["postgres", "kafka"]):
        process = server.running()
        if process is None:
            raise RuntimeError(f"{server.name} is not running: start it with `make up`")
        roots[server.name] = [process]
    return SystemProcesses(roots)


async def measure(args: argparse.Namespace) -> None:
    config = StackConfig.from_env(None)
    bootstrap, server_url = config.endpoints.kafka_bootstrap, config.endpoints.postgres_url
    run_id = uuid.uuid4().hex[:8]
    topic = f"floor-{run_id}"
    await create_topics(bootstrap, [TopicSpec(topic, 12, {})])
    names = [f"floor_{run_id}_{n}" for n in range(args.groups + args.skipping)]
    dsns = [await create_database(server_url, name) for name in names]
    for dsn in dsns:
        apply_migrations(dsn, SERVICEKIT_MIGRATIONS)
    claiming, skipping = names[: args.groups], names[args.groups :]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.consumer_floor", "--serve",
            bootstrap, dsn, topic, name, "claim" if name in claiming else "skip",
            stdout=asyncio.subprocess.DEVNULL,  # the services' logs go to a file; here nowhere
        )
        for dsn, name in zip(dsns, names, strict=True)
    ]  # fmt: skip
    progress = await Progress.open(dsns[: args.groups])
    producer = idempotent_producer(bootstrap, client_id="floor")
    try:
        await producer.start()
        async with BacklogWatch(bootstrap, topic, skipping) as watch:
            sent = await publish_paced(producer, topic, 200, 2, 0)  # warm-up: joins, caches
            await until_done(progress, watch, args.skipping, sent, 120)
            pids = [child.pid for child in children]
            processes = processes_of(config, pids[: args.groups], pids[args.groups :])
            before, began = processes.cpu_seconds(), time.monotonic()
            await asyncio.sleep(args.idle_seconds)  # a measuring period with nothing sent
            idle = {k: v / (time.monotonic() - began) for k, v in
                    used_between(before, processes.cpu_seconds()).items()}  # fmt: skip
            print(f"command: uv run python -m bench.consumer_floor {' '.join(sys.argv[1:])}")
            print(
                f"{args.groups} consumer groups claiming every message, {args.skipping} skipping"
                f" every one, envelopes of {ENVELOPE_BYTES} bytes"
            )
            print(f"idle CPU ms/s: { {k: round(1000 * v, 1) for k, v in idle.items()} }")
            rows: list[dict[str, object]] = []
            for rate in args.rates:
                stats_before, polls_before = await progress.transactions(), progress.polls
                before, began = processes.cpu_seconds(), time.monotonic()
                count = await publish_paced(producer, topic, rate, args.seconds, sent)
                sent += count
                ended = await until_done(progress, watch, args.skipping, sent, 300)
                window = ended - began
                used = used_between(before, processes.cpu_seconds())
                polls = progress.polls - polls_before
                batches = (await progress.transactions() - stats_before) / args.groups - polls
                per = {k: 1000 * max(0.0, v - idle[k] * window) / count for k, v in used.items()}
                rows.append({
                    "messages_per_s_asked": rate,
                    "claimed_per_s": round(count / window, 1),
                    "messages_per_batch": round(count / max(1.0, batches), 1),
                    "cpu_ms_per_message": round(sum(per.values()), 4),
                    "cpu_ms_per_message_by_group": {k: round(v, 4) for k, v in per.items()},
                })  # fmt: skip
                shown = "  ".join(f"{k} {v:.3f}" for k, v in per.items())
                print(
                    f"{rate:>6.0f} messages/s: {count / window:,.0f}/s taken by every group, "
                    f"{count / max(1.0, batches):.0f} messages per claiming batch, CPU per message "
                    f"{sum(per.values()):.3f} ms ({shown})"
                )
            if args.json:
                figures = {"benchmark": "consumer_floor", "groups": args.groups, "rows": rows}
                figures["skipping_groups"] = args.skipping
                figures["envelope_bytes"] = ENVELOPE_BYTES
                args.json.write_text(json.dumps(figures, indent=2))
    finally:
        await producer.stop()
        await progress.close()  # before the databases are dropped
        for child in children:
            child.terminate()
        for child in children:
            await child.wait()
        for name in names:
            await drop_database(server_url, name)
        await delete_topics(bootstrap, [topic])


def run() -> None:
    if sys.argv[1:2] == ["--serve"]:
        uvloop.run(serve(*sys.argv[2:7]))  # the services' loop (uvicorn's uvloop)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[500.0, 1000.0, 4000.0])
    parser.add_argument("--groups", type=int, default=4, help="groups claiming every message")
    parser.add_argument("--skipping", type=int, default=0, help="groups skipping every one")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    run()
