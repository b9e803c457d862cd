"""A customer's fact log: entries in order-key order folded into a state, whatever order
they arrived in.

What every service that folds a customer's events shares: the same event id twice is one
entry; an entry at or after the latest applied one is applied on top with the service's step
function; an older one (a late event) re-folds every entry from the start. What an entry
holds, the state it folds into and the step are each service's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class Key(Protocol):
    """An order key: anything that sorts (the services' keys are tuples)."""

    def __lt__(self, other: Any, /) -> bool: ...


KeyT = TypeVar("KeyT", bound=Key)
KeyT_co = TypeVar("KeyT_co", bound=Key, covariant=True)


class Logged(Protocol[KeyT_co]):
    """What the log needs of an entry: the event it stands for, and where it sorts."""

    @property
    def event_id(self) -> str: ...

    @property
    def order_key(self) -> KeyT_co: ...


EntryT = TypeVar("EntryT", bound="Logged[Key]")
StateT = TypeVar("StateT")


def is_late(latest: KeyT | None, key: KeyT) -> bool:
    """Whether an entry sorts before the latest one applied, so it cannot go on top."""
    return latest is not None and key < latest


def in_order(entries: Iterable[EntryT]) -> list[EntryT]:
    """The entries in order-key order, the first of each event id only (a redelivery is the
    same entry); entries with equal keys keep the order they came in."""
    unique: dict[str, EntryT] = {}
    for entry in entries:
        unique.setdefault(entry.event_id, entry)
    return sorted(unique.values(), key=lambda e: e.order_key)


def fold_entries(
    step: Callable[[StateT, EntryT], StateT], initial: StateT, entries: Iterable[EntryT]
) -> StateT:
    """The state the entries give, folded with `step` from `initial` in order-key order."""
    state = initial
    for entry in in_order(entries):
        state = step(state, entry)
    return state


def _never(entry: object) -> bool:
    return False


@dataclass
class FactLog(Generic[EntryT, StateT]):
    """A customer's entries and the state they fold into, kept as entries arrive.

    `start` gives the state before the first entry from all the entries (a creation may say
    where a customer starts); an entry for which `restarts` holds may change that, so adding
    one re-folds. `step` may update the state it is given and return it: every re-fold begins
    from a new `start`, so no state is stepped twice.
    """

    step: Callable[[StateT, EntryT], StateT]
    start: Callable[[Sequence[EntryT]], StateT]
    restarts: Callable[[EntryT], bool] = _never
    entries: list[EntryT] = field(default_factory=list)
    refolds: int = 0
    state: StateT = field(init=False)
    _ids: set[str] = field(init=False, repr=False)
    _latest: Key | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self._ids = {entry.event_id for entry in self.entries}
        self.state = self._folded()

    def add(self, entry: EntryT) -> StateT:
        """The state with one more entry; the same event id again changes nothing."""
        if entry.event_id in self._ids:
            return self.state
        self._ids.add(entry.event_id)
        self.entries.append(entry)
        key = entry.order_key
        if is_late(self._latest, key) or self.restarts(entry):
            self.refolds += 1
            self.state = self._folded()
        else:
            self.state = self.step(self.state, entry)
            self._latest = key
        return self.state

    def _folded(self) -> StateT:
        ordered = in_order(self.entries)
        self._latest = ordered[-1].order_key if ordered else None
        state = self.start(self.entries)
        for entry in ordered:
            state = self.step(state, entry)
        return state
