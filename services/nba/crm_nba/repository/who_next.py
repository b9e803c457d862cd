"""The "who next" list: the stored recommendations that hold at an instant, in its order."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from crm_nba.policy.projection import Projection
from crm_nba.repository.customers import HOLDS_AT
from crm_servicekit.connection import Conn

# The far end of the "who next" order for null due_at / last activity (as in the migration).
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
# Priority desc (negated), due_at, last activity, customer id: the list's order.
WhoNextKey = tuple[int, datetime, datetime, UUID]


# The stored recommendations that stopped holding by as_of ($2) are read through nba_validity,
# those that start holding after it through nba_validity_start (migration 0006).
STALE_AT = """
SELECT projection FROM nba_customers
WHERE account_id = $1 AND next_change_at <= $2
UNION
SELECT projection FROM nba_customers
WHERE account_id = $1 AND valid_from > $2
"""


async def stale_at(conn: Conn, account: str, as_of: datetime) -> list[Projection]:
    """Projections whose stored recommendation does not hold at `as_of`."""
    rows = await conn.fetch(STALE_AT, account, as_of)
    return [Projection.model_validate_json(r["projection"]) for r in rows]


async def who_next_page(
    conn: Conn, account: str, as_of: datetime, after: WhoNextKey | None, limit: int
) -> list[tuple[WhoNextKey, str]]:
    """Listed recommendations that hold at `as_of`, in the "who next" order.

    Each comes with its sort key and as JSON text, so a page is served without decoding
    and re-encoding what was stored; `after` is the key the page starts after.
    """
    rows = await conn.fetch(
        f"""
        SELECT neg_priority, due_sort, activity_sort, customer_id, recommendation AS body
        FROM nba_customers
        WHERE account_id = $1 AND priority > 0
          AND {HOLDS_AT}
          AND ($3::smallint IS NULL
               OR (neg_priority, due_sort, activity_sort, customer_id) > ($3, $4, $5, $6))
        ORDER BY neg_priority, due_sort, activity_sort, customer_id
        LIMIT $7
        """,
        account,
        as_of,
        *(after if after is not None else (None, None, None, None)),
        limit,
    )
    return [
        ((r["neg_priority"], r["due_sort"], r["activity_sort"], r["customer_id"]), r["body"])
        for r in rows
    ]
