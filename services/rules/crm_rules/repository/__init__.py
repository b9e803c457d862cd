"""Every SQL statement of the rules service, by subject; callers use ``repository.<name>``."""

from crm_rules.repository.customers import (
    CustomerKey,
    belongs_to_another_account,
    heads_of_many,
    is_deleted,
    lock_customer,
    lock_customers,
)
from crm_rules.repository.history import (
    add_events_of_many,
    events_of,
    events_of_many,
    inbound_messages,
    known_events,
)
from crm_rules.repository.reminders import (
    ReminderFilter,
    claim_due,
    get_reminder,
    list_reminders,
    mark_notified,
    open_reminders_and,
    reminders_of_many,
    save_reminders,
)
from crm_rules.repository.snapshots import save_snapshots, snapshots_at_heads

__all__ = [
    "CustomerKey",
    "ReminderFilter",
    "add_events_of_many",
    "belongs_to_another_account",
    "claim_due",
    "events_of",
    "events_of_many",
    "get_reminder",
    "heads_of_many",
    "inbound_messages",
    "is_deleted",
    "known_events",
    "list_reminders",
    "lock_customer",
    "lock_customers",
    "mark_notified",
    "open_reminders_and",
    "reminders_of_many",
    "save_reminders",
    "save_snapshots",
    "snapshots_at_heads",
]
