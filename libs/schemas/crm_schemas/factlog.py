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
from typing import Any, Generic, Protocol, TypeVar, cast


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
    return sorted(_first_of_each(entries).values(), key=lambda e: e.order_key)


def _first_of_each(entries: Iterable[EntryT]) -> dict[str, EntryT]:
    """The first entry of each event id, by event id."""
    unique: dict[str, EntryT] = {}
    for entry in entries:
        unique.setdefault(entry.event_id, entry)
    return unique


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

    The entries are folded when the state is first read, not when the log is made nor when a
    late entry comes: a log made from a stored history whose first new entry is late (or
    restarts) folds the history once, with that entry, rather than once without it and again
    with it.
    """

    step: Callable[[StateT, EntryT], StateT]
    start: Callable[[Sequence[EntryT]], StateT]
    restarts: Callable[[EntryT], bool] = _never
    entries: list[EntryT] = field(default_factory=list)
    refolds: int = 0  # entries added that needed a re-fold (late, or restarting)
    _state: StateT | None = field(init=False, default=None, repr=False)
    _stale: bool = field(init=False, default=True, repr=False)  # the entries need a fold
    _ids: set[str] = field(init=False, repr=False)
    # The greatest order key among the entries (the first of each event id): the one a fold
    # applies last.
    _latest: Key | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        unique = _first_of_each(self.entries)
        self._ids = set(unique)
        self._latest = max((entry.order_key for entry in unique.values()), default=None)

    @property
    def state(self) -> StateT:
        if self._stale:
            self._state = self._folded()
            self._stale = False
        return cast(StateT, self._state)

    def add(self, entry: EntryT) -> StateT:
        """The state with one more entry; the same event id again changes nothing."""
        if entry.event_id in self._ids:
            return self.state
        self._ids.add(entry.event_id)
        self.entries.append(entry)
        key = entry.order_key
        if is_late(self._latest, key):
            self.refolds += 1
            self._stale = True
            return self.state
        self._latest = key
        if self.restarts(entry):
            self.refolds += 1
            self._stale = True
        elif not self._stale:
            self._state = self.step(cast(StateT, self._state), entry)
        return self.state

    def _folded(self) -> StateT:
        state = self.start(self.entries)
        for entry in in_order(self.entries):
            state = self.step(state, entry)
        return state
