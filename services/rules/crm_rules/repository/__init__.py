"""Every SQL statement of the rules service, by subject; callers use ``repository.<name>``."""

from crm_rules.repository.customers import (
    CustomerKey,
    belongs_to_another_account,
    is_deleted,
    lock_accounts,
    lock_customer,
    lock_customers,
)
from crm_rules.repository.history import (
    add_events_of_many,
    customers_with_events_since,
    events_of,
    events_of_many,
    inbound_messages,
)
from crm_rules.repository.reminders import (
    ReminderFilter,
    claim_due,
    due_unannounced,
    get_reminder,
    list_reminders,
    mark_notified,
    open_reminders_and,
    reminders_of_many,
    save_reminders,
)
from crm_rules.repository.snapshots import Standing, save_snapshots, standings

__all__ = [
    "CustomerKey",
    "ReminderFilter",
    "Standing",
    "add_events_of_many",
    "belongs_to_another_account",
    "claim_due",
    "customers_with_events_since",
    "due_unannounced",
    "events_of",
    "events_of_many",
    "get_reminder",
    "inbound_messages",
    "is_deleted",
    "list_reminders",
    "lock_accounts",
    "lock_customer",
    "lock_customers",
    "mark_notified",
    "open_reminders_and",
    "reminders_of_many",
    "save_reminders",
    "save_snapshots",
    "standings",
]
