"""The consumer: every event of the topic into the log, the counters and the ticker's queue."""

from __future__ import annotations

from collections.abc import Sequence

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources
from crm_stats.service import record_batch

# None: every event of the catalog. The event log serves every type (GET /api/events/type/
# {name} accepts each name of the catalog), so no name may be left out, and a name added to
# the catalog is logged without a change here. ACCOUNT_SETTINGS_CHANGED is among them: the
# batch also keeps it in the account's settings history (service.record_batch).
CONSUMED: frozenset[str] | None = None


def handler(res: Resources) -> BatchHandler:
    async def record(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        await record_batch(conn, events, res.accounts)

    return record
