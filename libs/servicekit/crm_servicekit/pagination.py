"""Cursor pagination of every list: ``limit``, an opaque ``cursor`` and ``Page[T]``.

A cursor is the last item's sort key, signed: base64url of an HMAC-SHA256 tag followed by the
key as JSON. The tag covers the list's name and the key, with a key every replica derives from
its settings (``cursor_key``), so a cursor the service did not issue, or issued for another
list, is 422 naming ``cursor`` before anything of it is read (docs/API.md: "opaque; one that was
not issued by the service is 422"). Even a cursor that passes is then validated into the list's
typed key (``CursorKind``), so what reaches SQL is always aware datetimes, UUIDs and bounded
numbers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, TypeAdapter, ValidationError

from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.service_context import service_context
from crm_servicekit.settings import ServiceSettings

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 2048
_TAG_BYTES = hashlib.sha256().digest_size
# Derives the cursor key from a configured secret, so that the JWT secret, when it serves, is
# never itself the key of a second use.
_KEY_LABEL = b"crm_servicekit.pagination cursor key"
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

T = TypeVar("T")
K = TypeVar("K")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class CursorKind(Generic[K]):
    """One list's cursors: the name their tag binds them to and the sort key they carry."""

    def __init__(self, list_name: str, key: type[K]) -> None:
        self.list_name = list_name
        # Strict: in a cursor a number is never a time nor a float an integer.
        self._adapter: TypeAdapter[K] = TypeAdapter(key, config=ConfigDict(strict=True))

    def dump(self, key: K) -> bytes:
        return self._adapter.dump_json(key)

    def load(self, payload: bytes) -> K:
        """The typed key; ValueError when the payload is not one."""
        try:
            return self._adapter.validate_json(payload)
        except ValidationError as invalid:
            raise ValueError(f"not a sort key of {self.list_name}") from invalid


def cursor_key(settings: ServiceSettings) -> bytes:
    """The key of every replica's cursor tags: from ``cursor_secret``, else the JWT secret."""
    secret = settings.cursor_secret or settings.jwt_secret
    return hmac.new(secret.get_secret_value().encode(), _KEY_LABEL, hashlib.sha256).digest()


def _tag(key: bytes, list_name: str, payload: bytes) -> bytes:
    # The name is NUL-terminated so that no name and payload pair reads as another.
    return hmac.new(key, list_name.encode() + b"\x00" + payload, hashlib.sha256).digest()


def sign_cursor(key: bytes, list_name: str, payload: bytes) -> str:
    """A cursor of ``list_name`` carrying ``payload`` (the JSON of a sort key)."""
    token = _tag(key, list_name, payload) + payload
    return base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")


def _refused(list_name: str) -> Unprocessable:
    return Unprocessable(
        "The cursor was not issued for this list; pass next_cursor of the previous page unchanged.",
        errors=[FieldError(("query", "cursor"), f"not a cursor of {list_name}")],
    )


def open_cursor(key: bytes, kind: CursorKind[K], cursor: str) -> K:
    """The sort key of a cursor this service issued for ``kind``'s list; else 422."""
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise _refused(kind.list_name) from None
    tag, payload = token[:_TAG_BYTES], token[_TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, kind.list_name, payload)):
        raise _refused(kind.list_name)
    try:
        return kind.load(payload)
    except ValueError:
        raise _refused(kind.list_name) from None


@dataclass(frozen=True)
class Keyset(Generic[K]):
    """Where a page of one list starts (after the sort key ``after``) and how its next cursor
    is made; ``PageRequest.keyset`` gives it once the cursor is checked."""

    kind: CursorKind[K]
    limit: int
    after: K | None
    key: bytes

    def cursor_at(self, sort_key: K) -> str:
        return sign_cursor(self.key, self.kind.list_name, self.kind.dump(sort_key))

    def page(self, items: Sequence[T], sort_key: Callable[[T], K]) -> Page[T]:
        """A page from up to ``limit + 1`` fetched items: the extra one only says "there is
        more"."""
        if len(items) <= self.limit:
            return Page[T](items=list(items), next_cursor=None)
        kept = list(items[: self.limit])
        return Page[T](items=kept, next_cursor=self.cursor_at(sort_key(kept[-1])))


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: at most ``limit`` items after the position in ``cursor``."""

    limit: int
    cursor: str | None
    key: bytes

    def keyset(self, kind: CursorKind[K]) -> Keyset[K]:
        """The page of ``kind``'s list; a cursor not issued for that list is 422.

        Called by the route, after its dependencies: authentication answers first.
        """
        after = open_cursor(self.key, kind, self.cursor) if self.cursor is not None else None
        return Keyset(kind, self.limit, after, self.key)


def _base64url(cursor: str | None) -> str | None:
    # Plainly malformed text is a validation error, collected with the other fields' errors,
    # so that authentication (an exception from a dependency) still answers first.
    if cursor and not set(cursor) <= _BASE64URL:
        raise ValueError("malformed cursor")
    return cursor or None  # an empty cursor asks for the first page, as no cursor does


async def page_request(  # async: a plain def dependency would run in a worker thread
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT} items per page.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page."),
        AfterValidator(_base64url),
    ] = None,
) -> PageRequest:
    return PageRequest(limit, cursor, cursor_key(service_context(request).settings))


Pagination = Annotated[PageRequest, Depends(page_request)]
