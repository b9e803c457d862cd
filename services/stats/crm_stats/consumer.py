"""The batch handler: every event of the topic into the store, ticker items into the queue."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Accounts
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources
from crm_stats.store import customer_names, queue_ticker_items, record_batch
from crm_stats.ticker import shows_on_ticker, ticker_item

# Accounts not (or no longer) in the accounts file still have their events logged; their
# local days are cut in the domain's default zone.
DEFAULT_ZONE = ZoneInfo("Europe/Oslo")


def zone_of(accounts: Accounts, account_id: str) -> ZoneInfo:
    account = accounts.get(account_id)
    return account.zone if account is not None else DEFAULT_ZONE


def stats_handler(accounts: Accounts) -> BatchHandler:
    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        zones = {e.account_id: zone_of(accounts, e.account_id) for e in events}
        await record_batch(conn, events, zones)
        await queue_ticker(conn, [e for e in events if shows_on_ticker(e)], zones)

    return handle


def handler_factory(res: Resources) -> BatchHandler:
    return stats_handler(res.accounts)


async def queue_ticker(
    conn: Conn, events: Sequence[EventEnvelope], zones: dict[str, ZoneInfo]
) -> None:
    """Only events this batch applies for the first time reach here (the runtime's de-dup),
    so a redelivered batch queues nothing twice; names are read after the batch's upserts."""
    items = []
    for account_id in {e.account_id for e in events}:
        mine = [e for e in events if e.account_id == account_id]
        ids = [e.customer_id for e in mine if e.customer_id is not None]
        names = await customer_names(conn, account_id, ids) if ids else {}
        for event in mine:
            name = names.get(event.customer_id) if event.customer_id else None
            items.append((account_id, event.event_id, ticker_item(event, name, zones[account_id])))
    await queue_ticker_items(conn, items)
