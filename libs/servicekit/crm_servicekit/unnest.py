"""Rows for one `INSERT ... SELECT FROM unnest($1::t1[], $2::t2[], ...)` per batch.

A statement per row costs a round of parse, plan and execute in PostgreSQL and a message
each way; arrays unnested cost one for the whole batch. The services pass their rows as
tuples and these helpers turn them into the arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def as_columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column (the statement's array parameters, in order)."""
    return [list(column) for column in zip(*rows, strict=True)]


def rounds(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[tuple[Any, ...]]]:
    """`rows` split so that no key (the first `width` fields) repeats within a round.

    One upsert may change a row only once, so a batch that changes one row several times
    goes in rounds: a key's n-th row in the n-th round, each key's rows keeping their order,
    and each round sorted by key (one lock order for every writer)."""
    split: list[list[tuple[Any, ...]]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = row[:width]
        n = seen[key] = seen.get(key, -1) + 1
        if n == len(split):
            split.append([])
        split[n].append(row)
    return [sorted(group, key=lambda row: row[:width]) for group in split]
