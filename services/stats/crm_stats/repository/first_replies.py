"""Speed to lead kept per DM: each DM_STARTED with the customer's first MESSAGE_SENT at or
after it, so the dashboard reads one row per DM of the period instead of searching the log.

Both sides are merged order-free: a DM looks up the replies already logged (the batch's own
included), and a reply lowers reply_at of the DMs it follows. So any arrival order ends in
the rows the log gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_servicekit.connection import Conn
from crm_stats.policy.batch import CustomerMoment
from crm_stats.policy.figures import FirstReply
from crm_stats.policy.periods import Period
from crm_stats.repository import Reader

_ADD_DMS = """
INSERT INTO first_replies AS f (account_id, customer_id, dm_at, reply_at)
SELECT d.account_id, d.customer_id, d.dm_at,
    (SELECT min(s.ts) FROM event_log s
     WHERE s.account_id = d.account_id AND s.customer_id = d.customer_id
       AND s.event_name = 'MESSAGE_SENT' AND s.ts >= d.dm_at)
FROM unnest($1::text[], $2::uuid[], $3::timestamptz[]) AS d(account_id, customer_id, dm_at)
ON CONFLICT (account_id, customer_id, dm_at) DO NOTHING
"""

# The earliest of the batch's replies after each DM (UPDATE ... FROM would take any one).
_ADD_REPLIES = """
UPDATE first_replies AS f SET reply_at = r.first_at
FROM (
    SELECT d.account_id, d.customer_id, d.dm_at, min(s.ts) AS first_at
    FROM unnest($1::text[], $2::uuid[], $3::timestamptz[]) AS s(account_id, customer_id, ts)
    JOIN first_replies d
      ON d.account_id = s.account_id AND d.customer_id = s.customer_id AND d.dm_at <= s.ts
    GROUP BY d.account_id, d.customer_id, d.dm_at
) AS r
WHERE f.account_id = r.account_id AND f.customer_id = r.customer_id AND f.dm_at = r.dm_at
  AND (f.reply_at IS NULL OR f.reply_at > r.first_at)
"""

_DELETE_OF = "DELETE FROM first_replies WHERE account_id = $1 AND customer_id = ANY($2::uuid[])"

# The customer's first DM of the period and the first reply after it.
_REPLIES = """
SELECT DISTINCT ON (customer_id) dm_at, reply_at FROM first_replies
WHERE account_id = $1 AND dm_at >= $2 AND dm_at < $3 AND dm_at <= $4
ORDER BY customer_id, dm_at
"""


def _columns(moments: Sequence[CustomerMoment]) -> list[list[Any]]:
    return [
        [m.account_id for m in moments],
        [m.customer_id for m in moments],
        [m.at for m in moments],
    ]


async def record(
    conn: Conn, dms: Sequence[CustomerMoment], replies: Sequence[CustomerMoment]
) -> None:
    """After the batch is in event_log: its DMs and its replies into first_replies."""
    if dms:
        await conn.execute(_ADD_DMS, *_columns(dms))
    if replies:
        await conn.execute(_ADD_REPLIES, *_columns(replies))


async def delete_of(conn: Conn, account_id: str, customers: list[UUID]) -> None:
    await conn.execute(_DELETE_OF, account_id, customers)


async def first_replies_in(
    db: Reader, account_id: str, period: Period, as_of: datetime
) -> list[FirstReply]:
    """Each customer's first DM in the period (up to as_of) and their first reply after it."""
    rows = await db.fetch(_REPLIES, account_id, period.start, period.end, as_of)
    return [FirstReply(row["dm_at"], row["reply_at"]) for row in rows]
