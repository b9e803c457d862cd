"""Cursor pagination of every list: ``limit``, an opaque ``cursor`` and ``Page[T]``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from fastapi.encoders import jsonable_encoder
from pydantic import AfterValidator, BaseModel

from crm_servicekit.problems import FieldError, Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_MAX_CURSOR_LENGTH = 2048

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: at most ``limit`` items after the sort key ``after``."""

    limit: int
    after: Any | None = None


def encode_cursor(sort_key: Any) -> str:
    """The last item's sort key (e.g. ``[created_at, id]``) as an opaque token."""
    text = json.dumps(jsonable_encoder(sort_key), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The sort key inside a cursor; a cursor we did not make is 422 naming ``cursor``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (UnicodeError, binascii.Error, ValueError):
        raise Unprocessable(
            "The cursor is malformed; pass next_cursor of a previous page unchanged.",
            errors=[FieldError(("query", "cursor"), "malformed cursor")],
        ) from None


def _check_cursor(cursor: str | None) -> str | None:
    # A validation error rather than an exception from the dependency: FastAPI collects it
    # with the other field errors, so authentication (an exception) still answers first.
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except Unprocessable:
            raise ValueError("malformed cursor") from None
    return cursor


async def page_request(  # async: a plain def dependency would run in a worker thread
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT} items per page.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=_MAX_CURSOR_LENGTH, description="next_cursor of the previous page."),
        AfterValidator(_check_cursor),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)


Pagination = Annotated[PageRequest, Depends(page_request)]


def build_page(items: Sequence[T], limit: int, sort_key: Callable[[T], Any]) -> Page[T]:
    """A page from up to ``limit + 1`` fetched items: the extra one only says "there is more"."""
    if len(items) <= limit:
        return Page[T](items=list(items), next_cursor=None)
    kept = list(items[:limit])
    return Page[T](items=kept, next_cursor=encode_cursor(sort_key(kept[-1])))
