"""Where each customer's replay starts in a batch: continued from where it stood, or their
whole history read and replayed.

Replaying the whole history costs what the history costs. So the consumer keeps where each
customer's replay stands after a batch (policy.snapshot): in memory for the customers seen
last (KeptReplays) and in the store for every customer (replay_snapshots), both stamped with
the customer's head after the batch's writes and with the version of the account's settings
history they were made under (a change of the settings makes them stand for nothing: the
history is read again under the new one). Triggers renew the head at every write of the
customer's events or reminders, so a batch another replica applied, a person's action through
the API, a replica of an older version or a transaction that never committed leave a head
that no kept replay stands for, and the history is read again. A kept replay takes only
events that go on top of it (policy.continued); a late one reads the history too.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from crm_rules import repository as repo
from crm_rules.announce import is_person_action
from crm_rules.policy.automation import settings_version
from crm_rules.policy.continued import ContinuedReplay, Replay, continues
from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.decisions import read_beyond_open
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import CustomerReplay
from crm_rules.policy.snapshot import Continuation, OrderKey, ReplaySnapshot
from crm_rules.repository import CustomerKey
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn


@dataclass(frozen=True)
class KeptReplay:
    """Where a customer's replay stood, and their reminders as the store holds them after."""

    head: uuid.UUID | None  # None: the customer had no head (nothing of theirs written)
    continuation: Continuation
    stored: Mapping[uuid.UUID, Reminder]
    settings_version: int  # the account's settings history it was made under


class KeptReplays:
    """Where the replays of the customers seen last stand, up to `size` of them (0: none
    kept, each batch continues from the store's snapshots). One holds what a continuation
    reads, not the history: about 8 KB a customer whatever their history's length in
    bench.rules_history (a whole replay held 330 KB at 100 facts)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._kept: OrderedDict[CustomerKey, KeptReplay] = OrderedDict()

    def take(
        self,
        key: CustomerKey,
        head: uuid.UUID | None,
        settings_version: int,
        account: Account,
    ) -> KeptReplay | None:
        """The kept replay if it stands for the store's `head`, the account's settings history
        and the account as it is now (a reloaded accounts file may have changed the values
        that hold before the account's first settings change: the snapshot in the store then
        goes on with the new ones, as after a restart); taken out either way, since the caller
        changes it (and keeps it again once its writes are made)."""
        kept = self._kept.pop(key, None)
        if kept is None or kept.head != head or kept.settings_version != settings_version:
            return None
        made_with = kept.continuation.state.account
        return kept if made_with is account or made_with == account else None

    def __contains__(self, key: CustomerKey) -> bool:
        return key in self._kept

    def keep(self, key: CustomerKey, kept: KeptReplay) -> None:
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


@dataclass(frozen=True)
class Started:
    """A customer's replay before the batch's events, and their stored reminders."""

    replay: Replay
    stored: dict[uuid.UUID, Reminder]


async def start_replays(
    conn: Conn,
    groups: Mapping[CustomerKey, tuple[Account, Sequence[EventEnvelope]]],
    kept: KeptReplays,
    settings: Mapping[str, SettingsHistory],
) -> dict[CustomerKey, Started]:
    """Each customer's replay under their account's `settings` history, continued wherever
    their batch's events go on top of a kept replay or a snapshot that stands for the store
    and that history; else from their whole history. A few statements for the whole batch
    rather than a few per customer."""
    keys = list(groups)
    asked = {key: [e.event_id for e in _replayed(groups[key][1])] for key in keys}
    standing = await repo.standings(conn, asked)
    heads = {key: standing[key].head for key in keys}
    versions = {key: settings_version(settings[key[0]]) for key in keys}
    in_memory = {key: kept.take(key, heads[key], versions[key], groups[key][0]) for key in keys}
    snapshots: dict[CustomerKey, ReplaySnapshot] = {}
    for key in keys:
        snapshot = standing[key].snapshot
        made_under = standing[key].settings_version
        if in_memory[key] is None and snapshot is not None and made_under == versions[key]:
            snapshots[key] = snapshot
    latest: dict[CustomerKey, OrderKey | None] = {key: s.latest for key, s in snapshots.items()}
    for key, found in in_memory.items():
        if found is not None:
            latest[key] = found.continuation.latest
    known = {key: set(standing[key].known) for key in keys}
    going_on = [key for key in latest if _go_on_top(latest[key], groups[key][1], known[key])]
    # What a continuation reads of the store: the open reminders and a few more by id.
    wanted = {
        key: read_beyond_open(key[0], key[1], snapshots[key].reminders)
        for key in going_on
        if key in snapshots
    }
    stored_of = await repo.open_reminders_and(conn, wanted) if wanted else {}
    started: dict[CustomerKey, Started] = {}
    for key in going_on:
        found = in_memory[key]
        if found is not None:
            stored, continuation = list(found.stored.values()), found.continuation
        else:
            stored = stored_of[key]
            account = groups[key][0]
            continuation = snapshots[key].continuation(account, key[1], stored, settings[key[0]])
        replay = ContinuedReplay(continuation, stored, known[key])
        started[key] = Started(replay, _by_id(stored))
    # The rest read their whole history and every reminder (a full replay reads them all).
    rest = [key for key in keys if key not in started]
    histories = await repo.events_of_many(conn, rest) if rest else {}
    reminders = await repo.reminders_of_many(conn, rest) if rest else {}
    for key in rest:
        full = CustomerReplay(
            groups[key][0], key[1], histories[key], reminders[key], settings[key[0]]
        )
        started[key] = Started(full, _by_id(reminders[key]))
    return started


@dataclass
class Effects:
    """What one customer's batch did: the events new to their history, the reminders changed,
    what is announced, the replay after it, and the reminders stored before it."""

    fresh: list[CustomerEvent]
    changed: list[Reminder]
    outgoing: list[EventEnvelope]
    replay: Replay
    stored: dict[uuid.UUID, Reminder]


async def keep_replays(
    conn: Conn,
    kept: KeptReplays,
    keeping: Sequence[tuple[CustomerKey, Effects]],
    settings: Mapping[str, SettingsHistory],
) -> None:
    """Where each replay stands after the batch, kept with the head the batch's writes left
    (the triggers renewed it) and the settings history it was made under: unless the batch
    changed what the replay reads of the stored reminders, which only a replay from the
    history gives again."""
    fitting = [(key, e) for key, e in keeping if e.replay.fits(e.changed)]
    continuations: list[tuple[CustomerKey, Continuation, dict[uuid.UUID, Reminder]]] = []
    for key, effects in fitting:
        stored = {**effects.stored, **{r.id: as_read_back(r) for r in effects.changed}}
        continuations.append((key, effects.replay.continuation().settled(stored), stored))
    versions = {key: settings_version(settings[key[0]]) for key, _, _ in continuations}
    heads = await repo.save_snapshots(
        conn, [(key, c.snapshot(), versions[key]) for key, c, _ in continuations]
    )
    for key, continuation, stored in continuations:
        # Of the stored reminders, what a continuation reads (as start_replays reads them).
        beyond = read_beyond_open(key[0], key[1], continuation.state.reminders.values())
        read = {rid: r for rid, r in stored.items() if r.is_open or rid in beyond}
        kept.keep(key, KeptReplay(heads.get(key), continuation, read, versions[key]))


def _replayed(group: Sequence[EventEnvelope]) -> list[EventEnvelope]:
    """The events of a batch that go into the customer's replay (service.events)."""
    return [
        e
        for e in group
        if not is_person_action(e) and e.event_name is not EventName.CUSTOMER_DELETED
    ]


def _go_on_top(latest: OrderKey | None, group: Sequence[EventEnvelope], known: set[str]) -> bool:
    """Whether the batch's new events all go on top of the latest entry; a person's action
    given back to the store (a rebuild) re-reads the history, as service.events does."""
    if any(is_person_action(e) for e in group):
        return False
    new: dict[str, CustomerEvent] = {}
    for envelope in _replayed(group):
        if envelope.event_id not in known and envelope.event_id not in new:
            new[envelope.event_id] = CustomerEvent.from_envelope(envelope)
    return continues(latest, new.values())


def _by_id(reminders: Sequence[Reminder]) -> dict[uuid.UUID, Reminder]:
    return {r.id: r for r in reminders}


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
