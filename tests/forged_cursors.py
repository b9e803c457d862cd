"""Cursors a client might forge, for the tests of every list.

Each list's test takes ``genuine`` (a list key as the service writes it, JSON values) and gets
the forgeries of its own shape: every value of the key replaced by each hostile value. They come
unsigned (as a client makes them: the service never issued them) and, with ``signed_forgeries``,
signed with the service's own cursor key, as if the key had leaked, so that the typed key, not
only the tag, is seen to refuse them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from crm_servicekit.pagination import sign_cursor

# Values PostgreSQL or Python cannot take where a time, an id or a number goes.
HOSTILE_VALUES: dict[str, Any] = {
    "week-date": "2024-W01-1",
    "year 1 with an offset": "0001-01-01T00:00:00+05:00",
    "year 9999 with an offset": "9999-12-31T23:00:00-05:00",
    "NUL inside": "2024-01-01T00:00:00\x00Z",
    "Infinity": float("inf"),
    "NaN": float("nan"),
    "1e30": 1e30,
    "naive datetime": "2024-01-01T00:00:00",
    "an object": {"$gt": ""},
}

GARBAGE = ["bm90LWEtY3Vyc29y", "AAAA", "x", "-_-_", "W10"]


def _base64url(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def unsigned_cursor(key: Any) -> str:
    """A key encoded as a cursor without a tag, as a client would forge one."""
    return _base64url(json.dumps(key).encode())


def forged_payloads(
    genuine: Sequence[Any], text_at: Collection[int] = ()
) -> Iterator[tuple[str, bytes]]:
    """(what, JSON payload) for each hostile value in each place of the key, and a key of
    the wrong length. In the places ``text_at`` (free text, such as a name) any string but one
    with a NUL is a value like another, so no other string is tried there."""
    for index in range(len(genuine)):
        for name, value in HOSTILE_VALUES.items():
            if index in text_at and isinstance(value, str) and "\x00" not in value:
                continue
            key = [*genuine[:index], value, *genuine[index + 1 :]]
            yield f"{name} at {index}", json.dumps(key).encode()
    yield "one value short", json.dumps(list(genuine[:-1])).encode()
    yield "one value more", json.dumps([*genuine, genuine[-1]]).encode()


def unsigned_forgeries(genuine: Sequence[Any]) -> Iterator[tuple[str, str]]:
    """Cursors as a client forges them: garbage, and keys encoded as base64 without a tag."""
    for text in GARBAGE:
        yield f"garbage {text!r}", text
    for what, payload in forged_payloads(genuine):
        yield what, _base64url(payload)


def signed_forgeries(
    key: bytes, list_name: str, genuine: Sequence[Any], text_at: Collection[int] = ()
) -> Iterator[tuple[str, str]]:
    """The same hostile keys with a valid tag for ``list_name``."""
    for what, payload in forged_payloads(genuine, text_at):
        yield f"signed {what}", sign_cursor(key, list_name, payload)


def one_byte_changed(cursor: str) -> Iterator[str]:
    """The genuine cursor with one byte of its tag, then of its key, changed."""
    token = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for index in (0, len(token) - 2):
        changed = bytearray(token)
        changed[index] ^= 0x01
        yield _base64url(bytes(changed))


def key_of(cursor: str) -> list[Any]:
    """The key a genuine cursor carries, as JSON values (the tag skipped)."""
    token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    key: list[Any] = json.loads(token[32:])
    return key


def not_its_own(
    key: bytes, list_name: str, genuine: Mapping[str, str], text_at: Collection[int] = ()
) -> list[tuple[str, str]]:
    """Every cursor ``list_name`` must refuse: the forgeries of its key's shape, unsigned and
    signed, the genuine cursors of the other lists, and its own with a byte changed.
    ``genuine`` maps each list's name to a cursor it issued."""
    own = genuine[list_name]
    template = key_of(own)
    return [
        *unsigned_forgeries(template),
        *signed_forgeries(key, list_name, template, text_at),
        *((f"a cursor of {name}", c) for name, c in genuine.items() if name != list_name),
        *(("one byte changed", c) for c in one_byte_changed(own)),
    ]
