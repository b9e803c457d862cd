"""What the rules consume, and the batch handler main.py registers."""

from __future__ import annotations

from collections.abc import Sequence

from crm_rules.announce import PERSON_REMINDER_EVENTS, is_person_action
from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import Fact
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources

# The facts from outside, the person's moves (accepts: not the status changes that follow a
# fact), where a customer started (CUSTOMER_CREATED:
# an import may start at any stage), activity from interactions, deletions, a person's
# actions on reminders (this service's own announcements, taken back on a rebuild), and the
# accounts' settings changes (each trigger follows the settings in force at its timestamp).
CONSUMED: frozenset[str] = frozenset(
    name.value
    for name in (
        *EXTERNAL_EVENTS,
        EventName.STATUS_CHANGED,
        EventName.CUSTOMER_CREATED,
        EventName.INTERACTION_LOGGED,
        EventName.CUSTOMER_DELETED,
        EventName.ACCOUNT_SETTINGS_CHANGED,
        *PERSON_REMINDER_EVENTS,
    )
)


def accepts(event: EventEnvelope) -> bool:
    """Of this service's REMINDER_* announcements, only a person's actions: what the rules
    decided themselves, a replay decides again. Of the STATUS_CHANGED, only a person's moves:
    one that follows a fact (the customers service's consequence of it) changes nothing in a
    replay, which folds the fact itself. Its fold view is None, it is no activity, no rule
    makes or supersedes reminders by it, and the reminders a closed status cancels were
    canceled by its cause at the same instant, just before it (policy.replay_state); taking
    it would only cost a transaction and a stored row per fact."""
    if event.event_name is EventName.STATUS_CHANGED:
        return Fact.from_event(event) is not None
    return event.event_name not in PERSON_REMINDER_EVENTS or is_person_action(event)


def handler(res: Resources) -> BatchHandler:
    """Each batch applied in the consumer's transaction, its announcements to the topic; the
    customers' replays kept from batch to batch (service.replays)."""
    topic = res.settings.events_topic
    kept = KeptReplays()

    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        await apply_events(
            conn,
            events,
            accounts=res.accounts,
            topic=topic,
            received_at=res.clock.now(),
            kept=kept,
        )

    return handle
