"""A batch's upserts go in rounds that change each row at most once, in the batch's order;
rows become the columns an unnested statement takes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crm_servicekit.unnest import as_columns, rounds

rows = st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3), st.integers()), max_size=40)


@given(rows)
def test_rounds_never_repeat_a_key_and_keep_each_keys_order(
    batch: list[tuple[str, int, int]],
) -> None:
    split = rounds(batch, 2)
    for group in split:
        keys = [row[:2] for row in group]
        assert len(keys) == len(set(keys))
        assert keys == sorted(keys)  # one lock order
    assert sorted(row for group in split for row in group) == sorted(batch)
    for key in {row[:2] for row in batch}:
        in_rounds = [row for group in split for row in group if row[:2] == key]
        assert in_rounds == [row for row in batch if row[:2] == key]


def test_a_key_changed_three_times_takes_three_rounds() -> None:
    batch = [("a", 1, 10), ("b", 1, 20), ("a", 1, 11), ("a", 1, 12)]
    assert rounds(batch, 2) == [[("a", 1, 10), ("b", 1, 20)], [("a", 1, 11)], [("a", 1, 12)]]
    assert rounds([], 2) == []


def test_as_columns_transposes_rows() -> None:
    assert as_columns([("a", 1), ("b", 2)]) == [["a", "b"], [1, 2]]
