"""Ticker items waiting for the relay (ticker_pending): queued with the batch that made them,
taken and removed by the relay once they are in Redis."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any, NamedTuple

from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns

# The channel a committed batch notifies, so the relay wakes at once.
TICKER_CHANNEL = "stats_ticker"

# In input order: seq numbers the relay's order, which is the batch's.
_QUEUE = """
INSERT INTO ticker_pending (account_id, item_id, item) SELECT a, i, t::jsonb
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(a, i, t, n)
ORDER BY n
"""

# One relay appends at a time, across replicas: two taking the next chunks side by side could
# append the later chunk first, and a customer's items would reach the stream out of order.
# A lock of the transaction, so a relay killed mid-chunk releases it with its connection.
RELAY_LOCK_KEY = zlib.crc32(b"stats-ticker-relay")
_TAKE_TURN = "SELECT pg_advisory_xact_lock($1)"

# The relays take turns (above); SKIP LOCKED keeps a drain from ever waiting on a row that
# something else holds.
_TAKE = """
SELECT seq, account_id, item_id, item::text AS item FROM ticker_pending
ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
"""

_REMOVE = "DELETE FROM ticker_pending WHERE seq = ANY($1::bigint[])"


class PendingItem(NamedTuple):
    seq: int
    account_id: str
    item_id: str
    item: str  # the item's JSON, as it goes into the stream


async def queue_ticker_items(conn: Conn, items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """(account_id, item_id, item) rows for the relay; NOTIFY wakes it at commit."""
    if not items:
        return
    await conn.execute(_QUEUE, *as_columns([(a, i, json.dumps(item)) for a, i, item in items]))
    await conn.execute(f"NOTIFY {TICKER_CHANNEL}")


async def take(conn: Conn, limit: int) -> list[PendingItem]:
    """The oldest queued items, locked until the transaction ends; first waits while another
    relay's transaction is appending its chunk."""
    await conn.execute(_TAKE_TURN, RELAY_LOCK_KEY)
    rows = await conn.fetch(_TAKE, limit)
    return [PendingItem(r["seq"], r["account_id"], r["item_id"], r["item"]) for r in rows]


async def remove(conn: Conn, items: Sequence[PendingItem]) -> None:
    await conn.execute(_REMOVE, [item.seq for item in items])
