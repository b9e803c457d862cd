"""Customers' replays kept in memory between the consumer's batches.

Without them each batch reads and re-folds a customer's whole history, a cost that grows with
the history; kept, an event later than the customer's latest costs one step. A kept replay is
used only while the customer's head in the store is the one its batch left (customer_heads,
which triggers renew at every write of the customer's events or reminders), so a batch another
replica applied, a person's action through the API, or a transaction that never committed
makes it read again.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import CustomerReplay
from crm_rules.repository import CustomerKey


@dataclass(frozen=True)
class KeptReplay:
    """A customer's replay and their reminders as the store holds them after it."""

    head: uuid.UUID | None  # None: the customer had no head (nothing of theirs written)
    replay: CustomerReplay
    stored: Mapping[uuid.UUID, Reminder]


class KeptReplays:
    """The replays of the customers seen last, up to `size` of them (each holds its customer's
    history in memory)."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._kept: OrderedDict[CustomerKey, KeptReplay] = OrderedDict()

    def take(self, key: CustomerKey, head: uuid.UUID | None) -> KeptReplay | None:
        """The kept replay if it stands for the store's `head`; taken out either way, since
        the caller changes it (and keeps it again once its writes are made)."""
        kept = self._kept.pop(key, None)
        return kept if kept is not None and kept.head == head else None

    def __contains__(self, key: CustomerKey) -> bool:
        return key in self._kept

    def keep(self, key: CustomerKey, kept: KeptReplay) -> None:
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


def as_read_back(reminder: Reminder) -> Reminder:
    """The reminder as the store gives it back: its times in UTC (an event's offset is not
    kept), so a kept reminder announces exactly what one read again would."""
    times: dict[str, datetime] = {
        "scheduled_for": reminder.scheduled_for.astimezone(UTC),
        "rule_scheduled_for": reminder.rule_scheduled_for.astimezone(UTC),
        "created_at": reminder.created_at.astimezone(UTC),
    }
    if reminder.closed_at is not None:
        times["closed_at"] = reminder.closed_at.astimezone(UTC)
    return reminder.model_copy(update=times)
