"""The reminder rules (docs/domain.md, 'Reminders'), as a pure function of one history.

`intended_reminders` replays the customer's events in timestamp order (the pipeline fold
from crm_schemas judging each trigger at its instant, policy.replay_state's step) together
with what people did to their reminders, and returns every reminder as the rules leave it.
Replaying the whole history is what makes arrival order irrelevant: a late event lands where
its timestamp puts it. policy.decisions turns the difference with what is stored into
REMINDER_* changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from crm_rules.policy.automation import history_of
from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.person_actions import PersonAction, person_actions
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay_state import ReplayState
from crm_rules.policy.rules import Intended
from crm_rules.policy.snapshot import Continuation, OrderKey
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.factlog import FactLog
from crm_servicekit.accounts import Account

# A customer's fact log holds their events and what people did to their reminders.
Point = CustomerEvent | PersonAction


def _sets_the_start(point: Point) -> bool:
    return isinstance(point, CustomerEvent) and point.initial_state is not None


class CustomerReplay:
    """A customer's replay kept across their new events, in the shared fact log: an event
    later than everything replayed so far is applied on top; an earlier one (late), or one
    that says where the customer started, replays the whole history.

    Where it stands (`continuation`) may be kept across batches, while the store changes only
    as `fits` allows (policy.continued)."""

    def __init__(
        self,
        account: Account,
        customer_id: uuid.UUID,
        events: Iterable[CustomerEvent],
        stored: Iterable[Reminder] = (),
        settings: SettingsHistory | None = None,
    ) -> None:
        self.account = account
        self.customer_id = customer_id
        self.settings = history_of(account, settings)
        self.stored = list(stored)
        self._stored_by_id = {r.id: r for r in self.stored}
        known = list(events)
        self._event_ids = {e.event_id for e in known}
        points: list[Point] = [*known, *person_actions(self.stored)]
        # The greatest order key among the entries: the one the log applied last.
        self._latest: OrderKey | None = max((p.order_key for p in points), default=None)
        self._log: FactLog[Point, ReplayState] = FactLog(
            step=ReplayState.then, start=self._start, restarts=_sets_the_start, entries=points
        )

    @property
    def events(self) -> list[CustomerEvent]:
        return [point for point in self._log.entries if isinstance(point, CustomerEvent)]

    @property
    def reminders(self) -> dict[uuid.UUID, Intended]:
        return self._log.state.reminders

    def knows(self, event_id: str) -> bool:
        return event_id in self._event_ids

    def add(self, event: CustomerEvent) -> dict[uuid.UUID, Intended]:
        if event.event_id not in self._event_ids:
            key = event.order_key
            self._latest = key if self._latest is None else max(self._latest, key)
        self._event_ids.add(event.event_id)
        return self._log.add(event).reminders

    def fits(self, changed: Iterable[Reminder]) -> bool:
        """Whether this replay is still the one the store with these changes gives: what it
        reads of the stored reminders (a person's snoozes and actions) is unchanged."""
        return reads_the_same(self._stored_by_id, changed)

    def continuation(self) -> Continuation:
        """Where the replay stands, without the history (the state is the live one: the
        replay is not used after)."""
        return Continuation(self._log.state, self._latest)

    def _start(self, points: Sequence[Point]) -> ReplayState:
        """A new replay, from the state the first CUSTOMER_CREATED gives (an import may
        start anywhere), else from a new lead."""
        replay = ReplayState(self.account, self.customer_id, self.stored, self.settings)
        created = next((p for p in points if _sets_the_start(p)), None)
        if isinstance(created, CustomerEvent) and created.initial_state is not None:
            replay.state = created.initial_state
        return replay


def reads_the_same(before: Mapping[uuid.UUID, Reminder], changed: Iterable[Reminder]) -> bool:
    """Whether a replay reads the stored reminders `before` and the same with `changed`
    written over them alike."""
    return all(_read_by_replay(before.get(r.id)) == _read_by_replay(r) for r in changed)


def _read_by_replay(reminder: Reminder | None) -> tuple[object, ...]:
    """What a replay takes from one stored reminder (ReplayState.snoozed, person_actions)."""
    if reminder is None:
        return (None,)
    snooze = None
    if reminder.scheduled_for != reminder.rule_scheduled_for:
        snooze = (reminder.scheduled_for, reminder.rule_scheduled_for)
    return (snooze, *person_actions([reminder]))


def intended_reminders(
    account: Account,
    customer_id: uuid.UUID,
    events: Iterable[CustomerEvent],
    stored: Iterable[Reminder] = (),
    settings: SettingsHistory | None = None,
) -> dict[uuid.UUID, Intended]:
    """Every reminder of the customer as the rules leave it after their whole history, under
    the account's settings history (None: the accounts file's values throughout)."""
    return CustomerReplay(account, customer_id, events, stored, settings).reminders
