"""The customers and interactions lists' cursors: every sort and list pages through everything
once with its own, and refuses with 422 naming `cursor` any other (forged, of another list or
sort, changed)."""

from __future__ import annotations

from typing import Any

import pytest
from forged_cursors import not_its_own

from crm_customers.customers.api.routes import SORT_CHOICES
from crm_customers.customers.repository.lists import TEXT_SORTS
from crm_servicekit.pagination import cursor_key

from .conftest import Service
from .test_api_customers import create, field_errors
from .test_api_interactions import log

NAMES = ["delta", "Alpha", "charlie", "bravo", "echo"]


async def walk(service: Service, path: str, params: dict[str, Any]) -> tuple[list[str], str]:
    """Every id of a list, a page of 2 at a time, and the first page's cursor."""
    ids: list[str] = []
    cursor: str | None = None
    first: str | None = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = await service.call("GET", path, params=query)
        assert answer.status_code == 200, answer.text
        ids += [item["id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        first = first or cursor
        if cursor is None:
            break
    assert first is not None
    return ids, first


async def refused_everywhere(
    service: Service, lists: dict[str, tuple[str, dict[str, Any]]], genuine: dict[str, str]
) -> None:
    """Each list (by its cursor's list name: path and params) refuses every cursor not its own."""
    key = cursor_key(service.settings)
    for name, (path, params) in lists.items():
        by_text = params.get("sort", "").lstrip("-") in TEXT_SORTS  # a name or status first
        forged = not_its_own(key, name, genuine, text_at=[0] if by_text else [])
        for what, cursor in forged:
            answer = await service.call("GET", path, params={**params, "cursor": cursor})
            assert field_errors(answer) == [["query", "cursor"]], (name, what)


async def test_every_sort_pages_once_and_takes_only_its_own_cursors(service: Service) -> None:
    made = {(await create(service, name=name))["id"]: name for name in NAMES}
    lists = {
        f"/api/customers?sort={sort}": ("/api/customers", {"sort": sort}) for sort in SORT_CHOICES
    }
    genuine: dict[str, str] = {}
    for name, (path, params) in lists.items():
        ids, genuine[name] = await walk(service, path, params)
        assert sorted(ids) == sorted(made), name  # each once
    by_name, _ = await walk(service, "/api/customers", {"sort": "name"})
    assert [made[i] for i in by_name] == ["Alpha", "bravo", "charlie", "delta", "echo"]
    await refused_everywhere(service, lists, genuine)


async def test_interaction_lists_page_once_and_take_only_their_own_cursors(
    service: Service,
) -> None:
    kari = await create(service, name="Kari")
    logged = [
        (
            await log(
                service,
                kari,
                occurred_at=f"2026-11-0{n}T08:00:00Z",
                scheduled_for=f"2030-01-0{n}T08:00:00+01:00",
            )
        )["id"]
        for n in range(1, 6)
    ]
    of_kari = f"/api/interactions/customer/{kari['id']}"
    lists = {
        "/api/interactions/customer": (of_kari, {}),
        "/api/interactions/upcoming": ("/api/interactions/upcoming", {}),
    }
    genuine: dict[str, str] = {}
    newest_first, genuine["/api/interactions/customer"] = await walk(service, of_kari, {})
    assert newest_first == list(reversed(logged))
    soonest_first, genuine["/api/interactions/upcoming"] = await walk(
        service, "/api/interactions/upcoming", {}
    )
    assert soonest_first == logged
    await refused_everywhere(service, lists, genuine)


@pytest.mark.parametrize(
    "bad",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:00:00-05:00",
        "3000-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "Infinity",
    ],
)
async def test_out_of_range_instants_are_422_naming_them(service: Service, bad: str) -> None:
    kari = await create(service, name="Kari")
    upcoming = await service.call("GET", "/api/interactions/upcoming", params={"as_of": bad})
    assert field_errors(upcoming) == [["query", "as_of"]]
    body = {"customer_id": kari["id"], "type": "note", "occurred_at": bad}
    logged = await service.call("POST", "/api/interactions", json=body)
    assert field_errors(logged) == [["body", "occurred_at"]]
