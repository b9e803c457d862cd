"""Which failures are worth waiting out and which can never succeed.

As docs/architecture.md says: transient errors (an outage, a timeout, a serialization failure) are
retried for as long as they last and never reach the DLQ; a payload that cannot be valid
is dead-lettered at once; anything else is retried a few times, then isolated.
"""

from __future__ import annotations

import json
import socket

import asyncpg
from aiokafka import errors as kafka_errors
from pydantic import ValidationError


class PermanentEventError(Exception):
    """Raised by a handler for an event that can never be applied (it goes to the DLQ)."""


# SQLSTATE classes that mean "try again later": connection exceptions (08), insufficient
# resources (53), operator intervention such as admin shutdown (57), system errors (58),
# and the two transaction-rollback codes a retry resolves (serialization, deadlock).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "58")
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        return state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_SQLSTATE_CLASSES)
    if isinstance(exc, kafka_errors.KafkaError):
        return bool(getattr(exc, "retriable", False)) or isinstance(
            exc,
            kafka_errors.KafkaConnectionError
            | kafka_errors.KafkaTimeoutError
            | kafka_errors.NodeNotReadyError
            | kafka_errors.RequestTimedOutError,
        )
    return isinstance(
        exc,
        asyncpg.InterfaceError
        | asyncpg.exceptions.ConnectionDoesNotExistError
        | ConnectionError
        | TimeoutError
        | socket.gaierror,
    )


def is_permanent(exc: BaseException) -> bool:
    """A payload that cannot be valid for the schema this service knows."""
    return isinstance(
        exc, PermanentEventError | ValidationError | json.JSONDecodeError | UnicodeDecodeError
    )
