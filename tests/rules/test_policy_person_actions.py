"""What people did to reminders, as entries of the customer's fact log beside their events."""

from __future__ import annotations

import uuid

from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.person_actions import person_actions
from crm_rules.policy.reminder import Reminder, ReminderStatus
from crm_rules.policy.replay import CustomerReplay
from crm_schemas.system_properties import CompletedBy, ReminderRule, ReminderType

from .history import ACCOUNT, T0, D, M, event, replay


def manual(customer: uuid.UUID, *, closed_at_creation: bool) -> Reminder:
    return Reminder(
        id=uuid.uuid4(),
        account_id="acme",
        customer_id=customer,
        type=ReminderType.CUSTOM,
        rule=ReminderRule.MANUAL,
        trigger_event_id="api",
        automated=False,
        status=ReminderStatus.COMPLETED if closed_at_creation else ReminderStatus.OPEN,
        scheduled_for=T0 + 3 * D,
        rule_scheduled_for=T0 + 3 * D,
        created_at=T0 + M,
        closed_at=T0 + M if closed_at_creation else None,
        completed_by=CompletedBy.PERSON if closed_at_creation else None,
    )


def test_made_and_closed_at_one_instant_are_two_entries() -> None:
    c = uuid.uuid4()
    reminder = manual(c, closed_at_creation=True)
    made, closed = person_actions([reminder])
    assert made.order_key == closed.order_key
    assert made.event_id != closed.event_id
    result = replay([event("DM_STARTED", T0, c)], stored=[reminder])
    assert result[reminder.id].status is ReminderStatus.COMPLETED
    assert result[reminder.id].completed_by is CompletedBy.PERSON


def test_an_event_before_a_persons_action_replays_the_history() -> None:
    c = uuid.uuid4()
    reminder = manual(c, closed_at_creation=False)
    dm, opt_out = event("DM_STARTED", T0, c), event("UNSUBSCRIBED", T0 + M / 2, c)
    log = CustomerReplay(ACCOUNT, c, [CustomerEvent.from_envelope(dm)], [reminder])
    after = log.add(CustomerEvent.from_envelope(opt_out))
    # On top, the opt-out would come after the person made the reminder and cancel it; in
    # its place it comes before, so the reminder the person made afterwards stays open.
    assert after[reminder.id].is_open
    assert after == replay([dm, opt_out], stored=[reminder])
