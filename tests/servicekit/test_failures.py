"""failures.py decides: which errors show a dependency unavailable (and which one), which a
retry resolves although every server is up, and which are bugs or bad input."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka import errors as kafka_errors
from asyncpg import exceptions as pg
from redis import exceptions as redis_errors
from redis.asyncio import Redis

from crm_devstack.processes import free_port
from crm_servicekit.db import create_pool
from crm_servicekit.failures import Dependency, is_permanent, is_transient, unavailable_dependency

POSTGRES_UNAVAILABLE = [
    pg.CannotConnectNowError("the database system is starting up"),
    pg.CannotConnectNowError(
        "the database system is not yet accepting connections\n"
        "DETAIL: Consistent recovery state has not been yet reached."
    ),
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.CrashShutdownError("terminating connection because of crash of another server process"),
    pg.TooManyConnectionsError("sorry, too many clients already"),
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.ConnectionFailureError("server closed the connection unexpectedly"),
    asyncpg.InterfaceError("cannot perform operation: connection is closed"),
    pg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
]


@pytest.mark.parametrize("error", POSTGRES_UNAVAILABLE, ids=lambda e: type(e).__name__)
def test_postgres_down_starting_recovering_or_its_connection_broken(error: Exception) -> None:
    assert unavailable_dependency(error) is Dependency.POSTGRES
    assert is_transient(error)


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (kafka_errors.KafkaConnectionError("no broker"), Dependency.KAFKA),
        (kafka_errors.KafkaTimeoutError(), Dependency.KAFKA),
        (kafka_errors.NotLeaderForPartitionError(), Dependency.KAFKA),  # retriable
        (redis_errors.ConnectionError("Connection refused"), Dependency.REDIS),
        (redis_errors.TimeoutError("Timeout reading from socket"), Dependency.REDIS),
        (redis_errors.BusyLoadingError("Redis is loading the dataset in memory"), Dependency.REDIS),
        (ConnectionResetError("raised by no driver"), Dependency.NETWORK),
    ],
    ids=lambda value: type(value).__name__,
)
def test_kafka_redis_and_network_outages_are_named(
    error: Exception, dependency: Dependency
) -> None:
    assert unavailable_dependency(error) is dependency
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [pg.SerializationError("could not serialize"), pg.DeadlockDetectedError("deadlock")],
    ids=lambda e: type(e).__name__,
)
def test_what_a_retry_resolves_is_transient_though_nothing_is_down(error: Exception) -> None:
    assert unavailable_dependency(error) is None
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        pg.DataError("invalid input for query argument $1: '\\x00'"),  # a value, not an outage
        pg.UniqueViolationError("duplicate key value violates unique constraint"),
        pg.UndefinedTableError('relation "nope" does not exist'),
        kafka_errors.MessageSizeTooLargeError(),
        FileNotFoundError("no such file"),
        RuntimeError("a bug"),
        ValueError("bad input"),
        BaseExceptionGroup("mixed", [pg.AdminShutdownError("down"), RuntimeError("a bug")]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_bugs_and_bad_input_are_neither_outages_nor_transient(error: BaseException) -> None:
    assert unavailable_dependency(error) is None
    assert not is_transient(error)


def test_a_group_of_outages_names_its_first() -> None:
    group = BaseExceptionGroup(
        "both", [pg.AdminShutdownError("down"), kafka_errors.KafkaConnectionError("down")]
    )
    assert unavailable_dependency(group) is Dependency.POSTGRES


def test_permanent_is_a_payload_that_cannot_be_valid() -> None:
    assert is_permanent(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))
    assert not is_permanent(pg.AdminShutdownError("down"))


async def test_a_refused_postgres_connection_names_postgres() -> None:
    with pytest.raises(ConnectionRefusedError) as refused:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    assert unavailable_dependency(refused.value) is Dependency.POSTGRES


async def test_a_refused_redis_connection_names_redis() -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(redis_errors.ConnectionError) as refused:
            await redis.ping()
    finally:
        await redis.aclose()
    assert unavailable_dependency(refused.value) is Dependency.REDIS


async def test_waiting_too_long_for_a_pooled_connection_names_postgres(new_database: str) -> None:
    pool = await create_pool(new_database, min_size=1, max_size=1)
    try:
        async with pool.acquire():
            with pytest.raises(TimeoutError) as waited:
                await pool.acquire(timeout=0.01)
    finally:
        await pool.close()
    assert unavailable_dependency(waited.value) is Dependency.POSTGRES
