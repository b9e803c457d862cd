"""The consumer: which events the service takes, and which use case each goes to.

Facts from outside become customers' pipeline state; NBA_CHANGED moves the next-action
mirror; this service's own events are met only in a rebuild from the topic (a live service
counted them as processed when it emitted them, see customers/announce.py), but for the seed
of an account's settings, whose copy on the topic is recorded (automation/service.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_customers.automation import service as automation
from crm_customers.customers.service import consumed, rebuild
from crm_customers.customers.service.consumed import Batch
from crm_customers.interactions import service as interactions
from crm_customers.settings import CustomersSettings
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.clock import Clock
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources

_INTERACTION_EVENTS = frozenset(
    {EventName.INTERACTION_LOGGED, EventName.INTERACTION_UPDATED, EventName.INTERACTION_DELETED}
)
# Events whose use cases write customers' rows themselves (deletion, the rebuild's restores).
_WRITTEN_DIRECTLY = frozenset(
    {EventName.CUSTOMER_DELETED, EventName.CUSTOMER_CREATED, EventName.CUSTOMER_UPDATED}
    | _INTERACTION_EVENTS
)

# What the consumer reads: facts, the NBA for the mirror, and its own events for rebuilds.
CONSUMED: frozenset[str] = frozenset(
    {name.value for name in EXTERNAL_EVENTS}
    | {name.value for name in _WRITTEN_DIRECTLY}
    | {EventName.NBA_CHANGED.value, EventName.STATUS_CHANGED.value}
    | {EventName.ACCOUNT_SETTINGS_CHANGED.value}
)


def handler(res: Resources) -> BatchHandler:
    """The batch handler main.py registers."""
    settings = res.settings
    assert isinstance(settings, CustomersSettings)
    return batch_handler(res.clock, settings.events_topic)


def batch_handler(clock: Clock, topic: str) -> BatchHandler:
    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        batch = await consumed.opened(conn, events, clock, held_apart=_WRITTEN_DIRECTLY)
        for event in events:
            await _apply(batch, event)
        await consumed.closed(batch, topic)

    return handle


async def _apply(batch: Batch, event: EventEnvelope) -> None:
    name = event.event_name
    if name is EventName.ACCOUNT_SETTINGS_CHANGED:
        await automation.restore(batch.conn, event)
        return
    if event.customer_id is None:
        return
    if name in _WRITTEN_DIRECTLY:
        await batch.hand_back()
    if name is EventName.NBA_CHANGED:
        await consumed.mirror_nba(batch, event)
    elif name is EventName.CUSTOMER_DELETED:
        await rebuild.restore_deleted(batch.conn, event)
    elif name is EventName.CUSTOMER_CREATED:
        await rebuild.restore_created(batch.conn, event)
    elif name is EventName.CUSTOMER_UPDATED:
        await rebuild.restore_updated(batch.conn, event)
    elif name in _INTERACTION_EVENTS:
        await interactions.restore_interaction(batch.conn, event)
    else:
        await consumed.apply_fact(batch, event)
