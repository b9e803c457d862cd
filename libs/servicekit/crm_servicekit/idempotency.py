"""``Idempotency-Key`` on POSTs (docs/architecture.md): the same key and body within 24 hours
replay the first answer and do nothing more; the same key with another body is 409.

A route uses it in a few lines::

    async with pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        created = await create_reminder(conn, ...)
        return slot.respond(201, created)

The block is one transaction holding both the work and the recorded answer. A request that
raises (a 409 or 422 of its own, a crash) rolls both back, so its key stays free to retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeAlias
from urllib.parse import parse_qsl, urlencode

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.problems import Conflict
from crm_servicekit.service_context import ClockDep

IDEMPOTENCY_TTL = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
# A purge between our failed insert and our read frees the key; trying again then wins it.
_CLAIM_ATTEMPTS = 3

# A connection of its own or one borrowed from a pool (``async with pool.acquire()``); a string
# because asyncpg's classes are generic only in their stubs.
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
]


@dataclass(frozen=True)
class IdempotentRequest:
    account_id: str
    key: str | None
    fingerprint: str
    received_at: datetime


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any

    def to_response(self) -> JSONResponse:
        return JSONResponse(self.body, self.status_code, headers={REPLAYED_HEADER: "true"})


class IdempotencySlot:
    """The answer to replay, or the place to record this request's answer."""

    def __init__(self, replay: StoredResponse | None) -> None:
        self.replay = replay
        self.recorded: StoredResponse | None = None

    def respond(self, status_code: int, body: Any) -> JSONResponse:
        """Record the answer (committed with the work) and return it."""
        if self.replay is not None:
            raise RuntimeError("this request is a replay; return slot.replay.to_response()")
        self.recorded = StoredResponse(status_code, jsonable_encoder(body))
        return JSONResponse(self.recorded.body, status_code)


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Equal for the same request; JSON bodies compare by content, not by formatting."""
    try:
        content = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        content = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), _sorted_query(query).encode(), content):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def idempotent_request(
    request: Request, principal: CurrentPrincipal, clock: ClockDep, key: IdempotencyKeyHeader = None
) -> IdempotentRequest:
    body = await request.body()
    return IdempotentRequest(
        account_id=principal.account.account_id,
        key=key,
        fingerprint=request_fingerprint(request.method, request.url.path, request.url.query, body),
        received_at=clock.now(),
    )


IdempotencyDep = Annotated[IdempotentRequest, Depends(idempotent_request)]


@asynccontextmanager
async def idempotent(
    connection: Connection, request: IdempotentRequest, *, ttl: timedelta = IDEMPOTENCY_TTL
) -> AsyncIterator[IdempotencySlot]:
    """One transaction: claim the key, let the caller work, store its answer with the work."""
    async with connection.transaction():
        replay = await _claim(connection, request, ttl) if request.key is not None else None
        slot = IdempotencySlot(replay)
        yield slot
        if request.key is None or replay is not None:
            return
        if slot.recorded is None:
            raise RuntimeError("an idempotent block must end with slot.respond(...) or raise")
        await connection.execute(
            "UPDATE idempotency_keys SET status_code = $3, response_body = $4"
            " WHERE account_id = $1 AND key = $2",
            request.account_id,
            request.key,
            slot.recorded.status_code,
            slot.recorded.body,
        )


async def purge_expired_idempotency_keys(
    connection: Connection | asyncpg.Pool[Any],
    *,
    now: datetime,
    ttl: timedelta = IDEMPOTENCY_TTL,
) -> int:
    """Delete keys past their 24 hours; returns how many (run it periodically)."""
    status = await connection.execute(
        "DELETE FROM idempotency_keys WHERE created_at <= $1", now - ttl
    )
    return int(status.rsplit(" ", 1)[-1])


async def _claim(
    connection: Connection, request: IdempotentRequest, ttl: timedelta
) -> StoredResponse | None:
    for _ in range(_CLAIM_ATTEMPTS):
        # Insert first: a concurrent request with the same key blocks on our uncommitted row
        # until we commit (then it replays our answer) or roll back (then it claims the key).
        claimed = await connection.fetchval(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, created_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            request.account_id,
            request.key,
            request.fingerprint,
            request.received_at,
        )
        if claimed:
            return None
        row = await connection.fetchrow(
            "SELECT request_hash, status_code, response_body, created_at FROM idempotency_keys"
            " WHERE account_id = $1 AND key = $2 FOR UPDATE",
            request.account_id,
            request.key,
        )
        if row is None:
            continue
        if row["created_at"] <= request.received_at - ttl:
            await _reclaim_expired(connection, request)
            return None
        if row["request_hash"] != request.fingerprint:
            raise Conflict(
                "This Idempotency-Key was already used with another request; use a new key."
            )
        if row["status_code"] is None:
            # Answers are stored in the transaction that inserted the row, so no committed
            # row lacks one; reaching here means the table was written some other way.
            raise RuntimeError(f"idempotency key {request.key!r} has a row without an answer")
        return StoredResponse(row["status_code"], row["response_body"])
    raise RuntimeError(f"could not claim idempotency key {request.key!r}")


async def _reclaim_expired(connection: Connection, request: IdempotentRequest) -> None:
    await connection.execute(
        "UPDATE idempotency_keys SET request_hash = $3, created_at = $4,"
        " status_code = NULL, response_body = NULL WHERE account_id = $1 AND key = $2",
        request.account_id,
        request.key,
        request.fingerprint,
        request.received_at,
    )


def _sorted_query(query: str) -> str:
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
