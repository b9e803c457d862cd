"""Where a customer's replay stands, kept between batches in memory (Continuation) or in the
store (ReplaySnapshot), so that events later than all of theirs cost one step each rather
than a read and re-fold of their whole history.

What is kept is what a step and the decisions after it read (policy.replay_state,
policy.decisions): the pipeline state, the last activity, the reminders the replay made, in
the order it made them (the order of the decisions, so of the announcements), but for the
closed ones nothing reads any more (`settled`); and the order key of the latest entry, which
tells whether an event can go on top. What the replay reads of the stored reminders is not in it:
the stored reminders are read again with it, and it stands only for the store and the
account's settings history it was made with (the service keeps it with the customer's head
and the history's version, policy.automation).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay_state import ReplayState
from crm_rules.policy.rules import Intended
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.pipeline import PipelineState
from crm_servicekit.accounts import Account

# An entry's place in a customer's history (CustomerEvent.order_key, PersonAction.order_key).
OrderKey = tuple[datetime, int, str]


class ReplaySnapshot(BaseModel):
    """A Continuation written down, as the store keeps it."""

    model_config = ConfigDict(frozen=True)

    state: PipelineState
    last_activity: AwareDatetime | None = None
    reminders: tuple[Intended, ...] = ()  # in the order the replay made them
    latest: tuple[AwareDatetime, int, str] | None = None

    def continuation(
        self,
        account: Account,
        customer_id: uuid.UUID,
        stored: Iterable[Reminder],
        settings: SettingsHistory | None = None,
    ) -> Continuation:
        """The replay this snapshot stands for, reading the customer's `stored` reminders,
        under the settings history it was made with (the store stamps it with its version)."""
        state = ReplayState(account, customer_id, stored, settings)
        state.state = self.state
        state.last_activity = self.last_activity
        for reminder in self.reminders:
            state.put(reminder)  # in the order made: the open ones keep their order too
        return Continuation(state, self.latest)


@dataclass(frozen=True)
class Continuation:
    """A customer's replay state after their latest entry, and that entry's order key (None
    before any)."""

    state: ReplayState
    latest: OrderKey | None

    def settled(self, stored: Mapping[uuid.UUID, Reminder]) -> Continuation:
        """This continuation without the reminders nothing reads any more, given the stored
        reminders after the batch: so what is kept grows with the open reminders rather than
        with every reminder ever made. A reminder the replay closed never opens again, and it
        is never made again, since a continuation makes reminders only for events it has not
        seen; decisions read a closed one only to close its stored twin while that is open
        (the inactivity reminder too, which they match by role: policy.decisions)."""
        self.state.forget([rid for rid in self.state.reminders if not _open_in(stored, rid)])
        return self

    def snapshot(self) -> ReplaySnapshot:
        return ReplaySnapshot(
            state=self.state.state,
            last_activity=self.state.last_activity,
            reminders=tuple(self.state.reminders.values()),
            latest=self.latest,
        )


def _open_in(stored: Mapping[uuid.UUID, Reminder], rid: uuid.UUID) -> bool:
    reminder = stored.get(rid)
    return reminder is not None and reminder.is_open
