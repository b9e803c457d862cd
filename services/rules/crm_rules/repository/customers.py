"""Customers as a whole: their keys, the lock that serializes their writers, their owner."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from crm_servicekit.connection import Conn

CustomerKey = tuple[str, uuid.UUID]  # (account_id, customer_id)


async def lock_customer(conn: Conn, account_id: str, customer_id: uuid.UUID) -> None:
    """Serialize the consumer and the API on one customer's reminders until commit."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{account_id}|{customer_id}"
    )


async def lock_customers(conn: Conn, keys: Sequence[CustomerKey]) -> None:
    """lock_customer for a whole batch in one statement, in a fixed order (no deadlocks)."""
    await conn.execute(
        """
        SELECT pg_advisory_xact_lock(h)
        FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k) AS locks
        ORDER BY h
        """,
        [f"{account}|{customer}" for account, customer in keys],
    )


# The class of the account locks below, apart from the customers' (one bigint key each).
_ACCOUNT_LOCKS = 0x52554C45


async def lock_accounts(conn: Conn, changing: Collection[str], applying: Collection[str]) -> None:
    """Serialize a change of an account's settings with the batches applying its events,
    until commit: `changing` exclusively, `applying` (the others) shared. A batch reads the
    settings history after this, so a change either sees the batch's reminders to judge them
    again, or the batch sees the change. One statement, in a fixed order (no deadlocks)."""
    accounts = {account: False for account in applying} | dict.fromkeys(changing, True)
    if not accounts:
        return
    await conn.execute(
        """
        SELECT CASE WHEN exclusive THEN pg_advisory_xact_lock($1, key)::text
                    ELSE pg_advisory_xact_lock_shared($1, key)::text END
        FROM (SELECT hashtext(a) AS key, x AS exclusive
              FROM unnest($2::text[], $3::boolean[]) AS k(a, x)) AS locks
        ORDER BY key, exclusive DESC
        """,
        _ACCOUNT_LOCKS,
        list(accounts),
        list(accounts.values()),
    )


async def of_customers(conn: Conn, select: str, keys: Sequence[CustomerKey]) -> list[Any]:
    """The rows of `select` (its table named x) of these customers, in one statement."""
    return await conn.fetch(
        f"""
        {select} JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
          ON x.account_id = k.account_id AND x.customer_id = k.customer_id
        """,
        [a for a, _ in keys],
        [c for _, c in keys],
    )


async def belongs_to_another_account(conn: Conn, account_id: str, customer_id: uuid.UUID) -> bool:
    """Whether another account has events or reminders of this customer id."""
    return bool(
        await conn.fetchval(
            """
            SELECT EXISTS (SELECT FROM customer_events WHERE customer_id = $2 AND account_id <> $1)
                OR EXISTS (SELECT FROM reminders WHERE customer_id = $2 AND account_id <> $1)
            """,
            account_id,
            customer_id,
        )
    )


async def is_deleted(conn: Conn, account_id: str, customer_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM deleted_customers WHERE account_id = $1 AND customer_id = $2",
            account_id,
            customer_id,
        )
    )
