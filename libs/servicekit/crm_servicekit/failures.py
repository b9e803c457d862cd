"""Which failures are worth waiting out and which can never succeed.

As docs/architecture.md says: transient errors (an outage, a timeout, a serialization failure) are
retried for as long as they last and never reach the DLQ; a payload that cannot be valid
is dead-lettered at once; anything else is retried a few times, then isolated.

The same decision answers HTTP: an error that means a dependency is unavailable is a 503
naming that dependency (problems.py), wherever it escapes a route.
"""

from __future__ import annotations

import json
import socket
import traceback
from collections.abc import Collection
from enum import StrEnum

import asyncpg
from aiokafka import errors as kafka_errors
from asyncpg import exceptions as pg_errors
from pydantic import ValidationError
from redis import exceptions as redis_errors


class PermanentEventError(Exception):
    """Raised by a handler for an event that can never be applied (it goes to the DLQ).

    A handler that knows which events of its batch are at fault names them in `culprits`
    ((account_id, event_id) pairs) and says why in `kind`: the runtime then dead-letters
    just those and applies the rest of the batch together, instead of applying the batch one
    event at a time to find them (a replay meeting many such events would crawl)."""

    def __init__(
        self,
        message: str,
        *,
        culprits: Collection[tuple[str, str]] = (),
        kind: str = "invalid_payload",
    ) -> None:
        super().__init__(message)
        self.culprits = frozenset(culprits)
        self.kind = kind


class Dependency(StrEnum):
    """What a service depends on at run time, as an outage names it."""

    POSTGRES = "postgres"
    KAFKA = "kafka"
    REDIS = "redis"
    # A socket error that no driver's code raised: some peer, unnamed.
    NETWORK = "network"


# SQLSTATE classes that mean "the server cannot serve now": connection exceptions (08),
# insufficient resources (53, too many connections among them), operator intervention (57:
# admin and crash shutdown, "cannot connect now" while starting up or recovering), and system
# errors (58).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "58")
# What a retry resolves although the server is up: serialization failure, deadlock, lock
# not available.
_RETRY_RESOLVES_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# asyncpg's interface errors that say the request or the set-up is wrong (a value it cannot
# encode, a feature missing), not that the connection failed: retrying changes nothing.
_CALLER_INTERFACE_ERRORS = (
    ValueError,  # DataError, ClientConfigurationError
    pg_errors.UnsupportedClientFeatureError,
    pg_errors.UnsupportedServerFeatureError,
)
_KAFKA_UNAVAILABLE = (
    kafka_errors.KafkaConnectionError
    | kafka_errors.KafkaTimeoutError
    | kafka_errors.NodeNotReadyError
    | kafka_errors.RequestTimedOutError
)
# Socket errors carry no sign of whose socket it was; the driver whose code raised it says.
_DRIVER_PACKAGES = {
    "asyncpg": Dependency.POSTGRES,
    "aiokafka": Dependency.KAFKA,
    "redis": Dependency.REDIS,
}


def unavailable_dependency(exc: BaseException) -> Dependency | None:
    """The dependency an error shows to be unavailable (down, starting, recovering, unreachable,
    its connection broken), or None when the error says something else."""
    if isinstance(exc, BaseExceptionGroup):
        found = [unavailable_dependency(inner) for inner in exc.exceptions]
        return found[0] if found and all(found) else None
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        return Dependency.POSTGRES if state.startswith(_UNAVAILABLE_SQLSTATE_CLASSES) else None
    if isinstance(exc, asyncpg.InterfaceError):
        return None if isinstance(exc, _CALLER_INTERFACE_ERRORS) else Dependency.POSTGRES
    if isinstance(exc, pg_errors.InternalClientError):
        # The protocol state of the connection is broken ("cannot switch to state 15; another
        # operation is in progress" after the server dropped the session): the pool discards it.
        return Dependency.POSTGRES
    if isinstance(exc, kafka_errors.KafkaError):
        retriable = bool(getattr(exc, "retriable", False))
        return Dependency.KAFKA if retriable or isinstance(exc, _KAFKA_UNAVAILABLE) else None
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return Dependency.REDIS
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return _raised_by(exc) or Dependency.NETWORK
    if isinstance(exc, OSError):
        # Other socket errors ("Multiple exceptions: ... Connect call failed") count only when
        # a driver raised them; a missing file is a bug.
        return _raised_by(exc)
    return None


def _raised_by(exc: BaseException) -> Dependency | None:
    """The dependency whose driver raised the error: the innermost driver frame decides."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        found = _DRIVER_PACKAGES.get(package, found)
    return found


def lost_to_concurrent_work(exc: BaseException) -> bool:
    """PostgreSQL rolled the transaction back for another one's sake (a serialization
    failure, a deadlock, a lock not had in time): the same work tried again can succeed."""
    return isinstance(exc, asyncpg.PostgresError) and (
        getattr(exc, "sqlstate", None) in _RETRY_RESOLVES_SQLSTATES
    )


def is_transient(exc: BaseException) -> bool:
    return unavailable_dependency(exc) is not None or lost_to_concurrent_work(exc)


def is_permanent(exc: BaseException) -> bool:
    """A payload that cannot be valid for the schema this service knows."""
    return isinstance(
        exc, PermanentEventError | ValidationError | json.JSONDecodeError | UnicodeDecodeError
    )
