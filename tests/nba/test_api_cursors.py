"""The "who next" list's cursors: it pages through everything once with its own and refuses with
422 naming `cursor` any other (forged, changed, or holding a priority out of range)."""

from __future__ import annotations

import json
import random

import pytest
from forged_cursors import key_of, not_its_own

from crm_servicekit.pagination import cursor_key, sign_cursor

from .conftest import RunningNba
from .history import D, T
from .kafka_io import eventually
from .test_service_who_next import expected_order, random_history

pytestmark = pytest.mark.integration
CUSTOMERS = 40


async def test_who_next_pages_once_and_takes_only_its_own_cursors(nba: RunningNba) -> None:
    rng = random.Random(11)
    histories = [random_history(rng) for _ in range(CUSTOMERS)]
    now = T + 22 * D
    nba.clock.set(now)
    await nba.send([e for h in histories for e in h.events])
    await eventually(
        lambda: nba.sql("SELECT count(*) AS n FROM nba_customers"),
        lambda rows: rows[0]["n"] == CUSTOMERS,
    )
    listed: list[tuple[str, str]] = []
    cursor: str | None = None
    genuine: str | None = None
    while True:
        page = await nba.get("/api/nba", limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        listed += [(i["customer_id"], i["action"]) for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        genuine = genuine or cursor
        if cursor is None:
            break
    assert listed == expected_order(histories, now)
    assert genuine is not None

    key = cursor_key(nba.settings)
    template = key_of(genuine)
    out_of_range = [
        (f"priority {n}", sign_cursor(key, "/api/nba", json.dumps([n, *template[1:]]).encode()))
        for n in (-101, 1)
    ]
    forged = [*not_its_own(key, "/api/nba", {"/api/nba": genuine}), *out_of_range]
    for what, bad in forged:
        answer = await nba.get("/api/nba", cursor=bad)
        assert answer.status_code == 422, (what, answer.text)
        assert [e["loc"] for e in answer.json()["errors"]] == [["query", "cursor"]], what
