from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple
from uuid import UUID

import httpx
import pytest
from forged_cursors import one_byte_changed, signed_forgeries, unsigned_forgeries
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from crm_servicekit.instants import StoredInstant
from crm_servicekit.pagination import (
    CursorKind,
    Keyset,
    PageRequest,
    cursor_key,
    open_cursor,
    sign_cursor,
)
from crm_servicekit.problems import Unprocessable

from .sample_service import JWT_SECRET, NUMBERS, NUMBERS_CURSOR, bearer, sample_settings

KEY = cursor_key(sample_settings())
ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class Position(NamedTuple):
    at: StoredInstant
    id: UUID


POSITIONS = CursorKind("/api/things", Position)
OTHER_POSITIONS = CursorKind("/api/other-things", Position)
GENUINE = Position(datetime(2025, 5, 1, 8, 30, tzinfo=UTC), UUID(int=7))
TEMPLATE = ["2025-05-01T08:30:00Z", str(UUID(int=7))]  # GENUINE as JSON values


def keyset(kind: CursorKind[Any], cursor: str | None, limit: int = 2) -> Keyset[Any]:
    return PageRequest(limit, cursor, KEY).keyset(kind)


def refusal(kind: CursorKind[Any], cursor: str) -> Unprocessable:
    with pytest.raises(Unprocessable) as raised:
        open_cursor(KEY, kind, cursor)
    return raised.value


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(-timedelta(hours=5)), timezone(timedelta(hours=14))]
        ),
    ),
    st.uuids(),
)
def test_a_cursor_carries_its_key_back_exactly(at: datetime, ident: UUID) -> None:
    position = Position(at, ident)
    cursor = keyset(POSITIONS, None).cursor_at(position)
    assert set(cursor) <= ALPHABET
    assert open_cursor(KEY, POSITIONS, cursor) == position


def test_a_cursor_reads_as_nothing_but_its_key_and_tag() -> None:
    cursor = keyset(POSITIONS, None).cursor_at(GENUINE)
    token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert json.loads(token[32:]) == ["2025-05-01T08:30:00Z", str(UUID(int=7))]


def test_every_replica_derives_the_same_key_and_a_cursor_secret_replaces_it() -> None:
    assert cursor_key(sample_settings()) == KEY
    assert JWT_SECRET.encode() != KEY  # the JWT secret is never the tag's key itself
    assert cursor_key(sample_settings(jwt_secret="another-jwt-secret-0123456789abcdef")) != KEY
    own = sample_settings(cursor_secret="cursor-secret-of-this-deployment-0123456789")
    assert cursor_key(own) != KEY
    cursor = sign_cursor(cursor_key(own), POSITIONS.list_name, POSITIONS.dump(GENUINE))
    assert refusal(POSITIONS, cursor).status == 422


@pytest.mark.parametrize(("what", "cursor"), list(unsigned_forgeries(TEMPLATE)))
def test_a_cursor_the_service_did_not_issue_is_422_naming_cursor(what: str, cursor: str) -> None:
    refused = refusal(POSITIONS, cursor)
    assert refused.status == 422, what
    assert [e["loc"] for e in refused.extra["errors"]] == [["query", "cursor"]], what


@pytest.mark.parametrize(
    ("what", "cursor"),
    list(signed_forgeries(KEY, POSITIONS.list_name, TEMPLATE)),
)
def test_even_with_a_valid_tag_only_a_typed_key_passes(what: str, cursor: str) -> None:
    refused = refusal(POSITIONS, cursor)
    assert [e["loc"] for e in refused.extra["errors"]] == [["query", "cursor"]], what


def test_a_genuine_cursor_of_another_list_or_changed_by_one_byte_is_422() -> None:
    cursor = keyset(POSITIONS, None).cursor_at(GENUINE)
    assert open_cursor(KEY, POSITIONS, cursor) == GENUINE
    assert refusal(OTHER_POSITIONS, cursor).status == 422
    for changed in one_byte_changed(cursor):
        assert refusal(POSITIONS, changed).status == 422


def test_the_page_uses_the_extra_item_only_to_know_there_is_more() -> None:
    full = keyset(NUMBERS_CURSOR, None).page([1, 2, 3], lambda n: n)
    assert full.items == [1, 2]
    assert full.next_cursor is not None
    assert keyset(NUMBERS_CURSOR, full.next_cursor).after == 2
    last = keyset(NUMBERS_CURSOR, None).page([1, 2], lambda n: n)
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


async def test_an_empty_cursor_asks_for_the_first_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/numbers", params={"cursor": "", "limit": 3}, headers=bearer())
    assert response.json()["items"] == NUMBERS[:3]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 501}, ["query", "limit"]),
        ({"limit": "many"}, ["query", "limit"]),
        ({"cursor": "!!not-a-cursor!!"}, ["query", "cursor"]),
        ({"cursor": "A" * 2049}, ["query", "cursor"]),
        ({"cursor": "bm90LWEtY3Vyc29y"}, ["query", "cursor"]),
        ({"cursor": sign_cursor(KEY, "/api/other", b"3")}, ["query", "cursor"]),
        ({"cursor": sign_cursor(KEY, "/api/numbers", b"3.5")}, ["query", "cursor"]),
    ],
)
async def test_bad_limit_or_cursor_is_422_naming_it(
    client: httpx.AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get("/api/numbers", params=params, headers=bearer())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [loc]


async def test_a_genuine_cursor_pages_on(client: httpx.AsyncClient) -> None:
    cursor = sign_cursor(KEY, "/api/numbers", b"3")
    params = {"cursor": cursor, "limit": 2}
    response = await client.get("/api/numbers", params=params, headers=bearer())
    assert response.json()["items"] == [4, 5]


@pytest.mark.parametrize("cursor", ["!!", "bm90LWEtY3Vyc29y"])
async def test_a_bad_cursor_without_a_token_is_401_first(
    client: httpx.AsyncClient, cursor: str
) -> None:
    response = await client.get("/api/numbers", params={"cursor": cursor, "limit": 0})
    assert response.status_code == 401
    alone = await client.get("/api/numbers", params={"cursor": cursor})
    assert alone.status_code == 401


def test_a_cursor_secret_is_held_to_the_secrets_rules_outside_development() -> None:
    with pytest.raises(ValueError, match="cursor_secret"):
        sample_settings(environment="production", cursor_secret="changeme")
    strong = sample_settings(
        environment="production",
        jwt_secret="Vq7rZ2mX9pL4sK8wT1yB6nC3dF5gH0jQ",
        service_token="Xw3eR5tY7uI9oP1aS2dF4gH6jK8lZ0cV",
        cursor_secret="Mn4bV6cX8zL1kJ3hG5fD7sA9pO2iU0yT",
    )
    assert isinstance(strong.cursor_secret, SecretStr)
