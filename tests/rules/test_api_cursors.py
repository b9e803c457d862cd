"""The reminders lists' cursors: each list pages through everything once with its own, and
refuses with 422 naming `cursor` any other (forged, of another list, changed)."""

from __future__ import annotations

import uuid
from typing import Any

from forged_cursors import not_its_own

from crm_servicekit.pagination import cursor_key

from .history import T0, H
from .service_support import RulesUnderTest
from .test_api import BASE, manual, problem_fields, z

COUNT = 5


async def walk(rules: RulesUnderTest, path: str, params: dict[str, Any]) -> tuple[list[str], str]:
    """Every id of a list, a page of 2 at a time, and the first page's cursor."""
    ids: list[str] = []
    cursor: str | None = None
    first: str | None = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = await rules.client.get(path, params=query, headers=rules.headers())
        assert answer.status_code == 200, answer.text
        ids += [item["id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        first = first or cursor
        if cursor is None:
            break
    assert first is not None
    return ids, first


async def test_each_list_pages_once_and_takes_only_its_own_cursors(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    made = [(await manual(rules, c, at=T0 + n * H))["id"] for n in range(1, COUNT + 1)]
    lists = {
        BASE: {"customer_id": str(c)},
        f"{BASE}/upcoming": {"as_of": z(T0), "within": "PT6H"},
        f"{BASE}/due": {"as_of": z(T0 + 6 * H), "customer_id": str(c)},
    }
    genuine: dict[str, str] = {}
    for path, params in lists.items():
        ids, genuine[path] = await walk(rules, path, params)
        assert ids == made, path  # oldest first, each once
    key = cursor_key(rules.settings)
    for path, params in lists.items():
        forged = not_its_own(key, path, genuine)
        for what, cursor in forged:
            answer = await rules.client.get(
                path, params={**params, "cursor": cursor}, headers=rules.headers()
            )
            assert answer.status_code == 422, (path, what, answer.text)
            assert problem_fields(answer) == [["query", "cursor"]], (path, what)
