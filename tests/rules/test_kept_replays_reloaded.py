"""A replay kept in memory follows the accounts file: once a reload changed the customer's
account, the next batch goes on from the store's snapshot with the account as it is now, as a
restarted consumer would; a reload that left the account as it was keeps it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import time

from crm_rules.main import MIGRATIONS
from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_servicekit.accounts import Account, Accounts, QuietHours
from crm_servicekit.db import apply_migrations, create_pool

from .history import T0, event

TOPIC = "rules-kept-replays-reloaded"


def test_a_kept_replay_is_taken_only_while_its_account_is_unchanged(new_database: str) -> None:
    apply_migrations(new_database, MIGRATIONS)
    customer = uuid.uuid4()
    key = ("acme", customer)
    accounts = Accounts([Account(account_id="acme")])
    kept = KeptReplays()

    async def scenario() -> tuple[bool, bool]:
        pool = await create_pool(new_database, max_size=1)
        try:
            async with pool.acquire() as conn, conn.transaction():
                first = event("DM_STARTED", T0, customer)
                await apply_events(
                    conn, [first], accounts=accounts, topic=TOPIC, received_at=T0, kept=kept
                )
            async with pool.acquire() as conn:
                head = await conn.fetchval(
                    "SELECT head FROM customer_heads WHERE customer_id = $1", customer
                )
            # The same file read again: other objects, the same account.
            accounts.replace_with(Accounts([Account(account_id="acme")]))
            same = kept.take(key, head, 0, _acme(accounts))
            if same is not None:
                kept.keep(key, same)
            # Quiet hours added: what the replay decides from here on changes.
            quiet = QuietHours(start=time(22, 0), end=time(7, 0))
            accounts.replace_with(Accounts([Account(account_id="acme", quiet_hours=quiet)]))
            changed = kept.take(key, head, 0, _acme(accounts))
        finally:
            await pool.close()
        return same is not None, changed is not None

    assert asyncio.run(scenario()) == (True, False)


def _acme(accounts: Accounts) -> Account:
    found = accounts.get("acme")
    assert found is not None
    return found
