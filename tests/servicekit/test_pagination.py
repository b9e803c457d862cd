from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_servicekit.pagination import build_page, decode_cursor, encode_cursor
from crm_servicekit.problems import Unprocessable

from .sample_service import NUMBERS, bearer

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_cursor_round_trips_any_json_sort_key(sort_key: Any) -> None:
    cursor = encode_cursor(sort_key)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor) == sort_key


def test_cursor_encodes_times_and_ids_as_json_text() -> None:
    when = datetime(2025, 5, 1, 8, 30, tzinfo=UTC)
    ident = UUID("12345678-1234-5678-1234-567812345678")
    assert decode_cursor(encode_cursor([when, ident])) == [
        "2025-05-01T08:30:00+00:00",
        "12345678-1234-5678-1234-567812345678",
    ]


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "////", "é"])
def test_malformed_cursor_is_422_naming_cursor(cursor: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        decode_cursor(cursor)
    assert raised.value.extra["errors"] == [{"loc": ["query", "cursor"], "msg": "malformed cursor"}]


def test_build_page_uses_the_extra_item_only_to_know_there_is_more() -> None:
    full = build_page([1, 2, 3], 2, lambda n: n)
    assert full.items == [1, 2]
    assert full.next_cursor is not None
    assert decode_cursor(full.next_cursor) == 2
    last = build_page([1, 2], 2, lambda n: n)
    assert last.items == [1, 2]
    assert last.next_cursor is None


async def test_walking_pages_returns_every_item_once(client: httpx.AsyncClient) -> None:
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"cursor": cursor} if cursor else {}
        response = await client.get("/api/numbers", params=params, headers=bearer())
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == NUMBERS
    assert pages == 3  # 50 + 50 + 20 with the default limit


async def test_explicit_limit(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/numbers", params={"limit": 500}, headers=bearer())
    assert response.json() == {"items": NUMBERS, "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 501}, ["query", "limit"]),
        ({"limit": "many"}, ["query", "limit"]),
        ({"cursor": "!!not-a-cursor!!"}, ["query", "cursor"]),
    ],
)
async def test_bad_limit_or_cursor_is_422_naming_it(
    client: httpx.AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get("/api/numbers", params=params, headers=bearer())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [loc]


async def test_a_bad_cursor_without_a_token_is_401_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/numbers", params={"cursor": "!!", "limit": 0})
    assert response.status_code == 401
