"""The shared fact log: order-key order whatever the arrival order, one entry per event id,
entries on top unless late, and a late entry re-folds from the start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_schemas.factlog import FactLog, fold_entries, in_order, is_late


@dataclass(frozen=True)
class Note:
    """An entry whose fold shows the order it was applied in."""

    event_id: str
    at: int
    starts_with: str | None = None

    @property
    def order_key(self) -> tuple[int, str]:
        return (self.at, self.event_id)


def written(state: tuple[str, ...], note: Note) -> tuple[str, ...]:
    return (*state, note.event_id)


def from_nothing(notes: Sequence[Note]) -> tuple[str, ...]:
    return ()


def from_first_start(notes: Sequence[Note]) -> tuple[str, ...]:
    first = next((n.starts_with for n in notes if n.starts_with is not None), None)
    return () if first is None else (first,)


def log_of(notes: Sequence[Note] = ()) -> FactLog[Note, tuple[str, ...]]:
    return FactLog(step=written, start=from_nothing, entries=list(notes))


def expected(notes: Sequence[Note]) -> tuple[str, ...]:
    first: dict[str, Note] = {}
    for note in notes:
        first.setdefault(note.event_id, note)
    return tuple(n.event_id for n in sorted(first.values(), key=lambda n: n.order_key))


notes_strategy = st.lists(
    st.builds(Note, event_id=st.sampled_from("abcdefgh"), at=st.integers(0, 5)), max_size=12
)


@settings(max_examples=300)
@given(notes=notes_strategy, data=st.data())
def test_any_arrival_order_ends_where_order_key_order_does(
    notes: list[Note], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(notes))
    log = log_of()
    for note in arrival:
        log.add(note)
    first_arrived = expected(arrival)
    assert log.state == first_arrived
    assert fold_entries(written, (), arrival) == first_arrived
    assert log_of(arrival).state == first_arrived


@settings(max_examples=200)
@given(notes=notes_strategy, data=st.data())
def test_a_redelivery_changes_nothing(notes: list[Note], data: st.DataObject) -> None:
    log = log_of(notes)
    before, refolds = log.state, log.refolds
    for note in data.draw(st.lists(st.sampled_from(notes), max_size=4)) if notes else []:
        assert log.add(note) == before
    assert log.refolds == refolds
    assert log.entries == notes


def test_the_first_entry_of_an_event_id_is_the_one_kept() -> None:
    log = log_of([Note("a", 5)])
    assert log.add(Note("a", 1)) == ("a",)
    assert in_order([Note("b", 3), Note("a", 5), Note("a", 1)]) == [Note("b", 3), Note("a", 5)]


def test_entries_on_top_are_stepped_and_a_late_one_refolds() -> None:
    log = log_of()
    log.add(Note("a", 1))
    log.add(Note("b", 2))
    log.add(Note("c", 2))  # same instant, later id: on top
    assert log.refolds == 0
    assert log.add(Note("d", 1)) == ("a", "d", "b", "c")
    assert log.refolds == 1
    assert log.add(Note("e", 3)) == ("a", "d", "b", "c", "e")
    assert log.refolds == 1


def test_a_refold_starts_from_a_new_start_so_a_step_may_update_its_state() -> None:
    def appended(state: list[str], note: Note) -> list[str]:
        state.append(note.event_id)
        return state

    log: FactLog[Note, list[str]] = FactLog(step=appended, start=lambda notes: [])
    for note in (Note("b", 2), Note("a", 1), Note("c", 3)):
        log.add(note)
    assert log.state == ["a", "b", "c"]
    assert log.refolds == 1


def test_an_entry_that_restarts_refolds_from_the_start_it_gives() -> None:
    log = FactLog(
        step=written,
        start=from_first_start,
        restarts=lambda note: note.starts_with is not None,
        entries=[Note("a", 1)],
    )
    assert log.add(Note("b", 2, starts_with="imported")) == ("imported", "a", "b")
    assert log.refolds == 1
    assert log.add(Note("c", 3)) == ("imported", "a", "b", "c")
    assert log.refolds == 1


def test_is_late_only_before_the_latest_applied() -> None:
    assert not is_late(None, (1, "a"))
    assert is_late((2, "a"), (1, "z"))
    assert not is_late((2, "a"), (2, "a"))
    assert not is_late((2, "a"), (2, "b"))


def test_a_log_folds_its_entries_once_when_its_first_new_entry_is_late() -> None:
    folds: list[int] = []

    def counted_start(notes: Sequence[Note]) -> tuple[str, ...]:
        folds.append(len(notes))
        return ()

    log = FactLog(step=written, start=counted_start, entries=[Note("b", 2), Note("c", 3)])
    assert log.add(Note("a", 1)) == ("a", "b", "c")
    assert log.add(Note("d", 4)) == ("a", "b", "c", "d")
    assert log.refolds == 1
    assert folds == [3]  # once, with the late entry: the stored entries alone never


@settings(max_examples=300)
@given(stored=notes_strategy, added=notes_strategy)
def test_a_log_made_from_entries_ends_where_one_fed_them_one_by_one_does(
    stored: list[Note], added: list[Note]
) -> None:
    made = log_of(stored)
    fed = log_of()
    for note in stored:
        fed.add(note)
    for note in added:
        assert made.add(note) == fed.add(note)
    assert made.state == fed.state == expected([*stored, *added])
