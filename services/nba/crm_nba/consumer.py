"""The NBA's consumer: which events it reads, and its batch handler."""

from __future__ import annotations

from collections.abc import Sequence

from crm_nba.announce import Outlet
from crm_nba.policy.projection import JOURNALED_EVENTS
from crm_nba.service.recompute import take_events
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources
from crm_servicekit.settings_store import SETTINGS_EVENT

# Everything the projection needs; REMINDER_COMPLETED also feeds the DMO counts; the
# accounts' settings changes decide the overdue_grace and the DMO targets at each instant.
CONSUMED: frozenset[str] = frozenset(name.value for name in JOURNALED_EVENTS) | {
    SETTINGS_EVENT.value
}


def handler(res: Resources) -> BatchHandler:
    outlet = Outlet(res.accounts, res.settings.events_topic)

    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        # "Now" for the batch: the recommendation stored is the one that holds now.
        await take_events(conn, events, outlet, res.clock.now())

    return handle
