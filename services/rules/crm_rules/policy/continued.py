"""A customer's replay continued from where it stood (policy.snapshot), without their history.

It takes an event only on top of everything before it: `continues` says whether a batch's
new events all do, which the caller checks before choosing it; a late event, or one that
says where the customer started, needs the whole history (policy.replay.CustomerReplay).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import CustomerReplay, reads_the_same
from crm_rules.policy.rules import Intended
from crm_rules.policy.snapshot import Continuation, OrderKey
from crm_schemas.factlog import is_late


def continues(latest: OrderKey | None, events: Iterable[CustomerEvent]) -> bool:
    """Whether the events, added in this order after an entry keyed `latest`, each go on top
    of the log as the fact log would take them (policy.replay): none sorts before the latest
    entry so far, none says where the customer started."""
    for event in events:
        key = event.order_key
        if event.initial_state is not None or is_late(latest, key):
            return False
        latest = key
    return True


class ContinuedReplay:
    """The replay of a Continuation: what CustomerReplay would be after the same history,
    for events that go on top. `known` are the ids of the customer's stored events among the
    ones the caller will add (a known one changes nothing, as in the fact log)."""

    def __init__(
        self, continuation: Continuation, stored: Iterable[Reminder], known: Iterable[str]
    ) -> None:
        self._state = continuation.state
        self._latest = continuation.latest
        self._stored_by_id = {r.id: r for r in stored}
        self._known = set(known)

    @property
    def reminders(self) -> dict[uuid.UUID, Intended]:
        return self._state.reminders

    def knows(self, event_id: str) -> bool:
        return event_id in self._known

    def add(self, event: CustomerEvent) -> dict[uuid.UUID, Intended]:
        if event.event_id in self._known:
            return self._state.reminders
        if not continues(self._latest, [event]):
            raise ValueError(f"event {event.event_id} does not go on top: it needs the history")
        self._known.add(event.event_id)
        self._latest = event.order_key
        return self._state.then(event).reminders

    def fits(self, changed: Iterable[Reminder]) -> bool:
        """As CustomerReplay.fits."""
        return reads_the_same(self._stored_by_id, changed)

    def continuation(self) -> Continuation:
        return Continuation(self._state, self._latest)


# A customer's replay in a batch: with their whole history, or continued without it.
Replay = CustomerReplay | ContinuedReplay
