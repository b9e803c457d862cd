"""The seeding loop: every account of the registry gets its automation settings from the
accounts file the first time this service sees it (docs/domain.md, Accounts), at start and
every few seconds after, so an account added to the file is seeded while the service runs.

Later edits of those fields in the file are ignored (an admin changes the settings through the
API now); the loop says so in the log once per edit, not on every pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import asyncpg
import structlog

from crm_customers.automation import policy
from crm_customers.automation import service as automation
from crm_customers.settings import CustomersSettings
from crm_schemas.account_settings import AutomationSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import Clock
from crm_servicekit.runtime import BackgroundLoop, Resources

log = structlog.get_logger(__name__)


@dataclass
class Seeder:
    pool: asyncpg.Pool
    accounts: Accounts
    clock: Clock
    topic: str
    # The file's values last reported as ignored, by account: each edit is logged once.
    reported: dict[str, AutomationSettings] = field(default_factory=dict)

    async def pass_once(self) -> list[str]:
        """Seed the accounts not seeded yet; returns the ones this pass seeded."""
        # A snapshot: the registry may be replaced in place while the pass runs.
        accounts = list(self.accounts)
        async with self.pool.acquire() as conn:
            seeds = await automation.seeds_of(conn, [a.account_id for a in accounts])
            made = []
            for account in accounts:
                seeded = seeds.get(account.account_id)
                if seeded is not None:
                    self._report_edit(account.account_id, seeded, account.seed_settings())
                    continue
                async with conn.transaction():
                    if await automation.seed(conn, account, self.clock.now(), self.topic):
                        made.append(account.account_id)
        if made:
            log.info("account settings seeded from the accounts file", accounts=made)
        return made

    def _report_edit(
        self, account_id: str, seeded: AutomationSettings, in_file: AutomationSettings
    ) -> None:
        edit = policy.file_edit(account_id, seeded, in_file)
        if edit is None:
            self.reported.pop(account_id, None)
        elif self.reported.get(account_id) != in_file:
            self.reported[account_id] = in_file
            log.warning(
                "accounts file edit of automation settings ignored: they were seeded once and "
                "are changed with PUT /api/settings",
                account_id=account_id,
                fields=list(edit.fields),
            )


def seed_accounts(settings: CustomersSettings) -> BackgroundLoop:
    """The seeding loop as the service's background loop, paced by the settings."""

    async def loop(res: Resources) -> None:
        seeder = Seeder(res.pool, res.accounts, res.clock, settings.events_topic)
        while not res.stop.is_set():
            await seeder.pass_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(res.stop.wait(), timeout=settings.seed_every_s)

    return loop
