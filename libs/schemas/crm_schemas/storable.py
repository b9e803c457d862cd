"""Values every store and every answer can hold, and the types that refuse the others.

A client's JSON can carry three kinds of value that fail far from where they came in:

- U+0000 (NUL): PostgreSQL's text and jsonb cannot hold it.
- A lone surrogate (a code point from U+D800 to U+DFFF alone, which JSON carries as an
  escape such as ``"\\ud800"``): it is no Unicode character, so it cannot be encoded as
  UTF-8, and asyncpg, the Kafka message and the JSON answer all fail on it.
- NaN and Infinity (which Python's JSON parser accepts, and which a number too large for a
  double, such as ``1e400``, becomes): they are not JSON numbers, so serialized they turn into
  null and the value is silently dropped. An integer or decimal beyond a double's range
  (``MAX_MAGNITUDE``) is refused too: no consumer of a JSON number can be counted on to read
  it.

Each is refused where it comes in with a 422 naming the field, rather than failing with a 500
where it is stored. `StorableText` is text of a model field or a query parameter,
`StorableNumber` a decimal, `StorableBody` a request body whose whole document (nested values
and keys included) is walked before its fields, each bad place named, and `unstorable` the
walk itself, for a document read raw (ingest) or a free-form field (event properties).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

# A double's largest finite value (about 1.8e308): every consumer can read a number up to it.
MAX_MAGNITUDE: Final = Decimal(sys.float_info.max)
_MAX_INTEGER: Final = int(sys.float_info.max)

NUL_MESSAGE: Final = "must not contain the NUL character (U+0000)"
SURROGATE_MESSAGE: Final = (
    "must not contain a lone surrogate (U+D800 to U+DFFF): it is not a Unicode character"
)
NOT_FINITE_MESSAGE: Final = "must be a finite number (NaN and Infinity are not JSON numbers)"
TOO_LARGE_MESSAGE: Final = "must be a number a double can hold (magnitude at most about 1.8e308)"
BAD_KEY_MESSAGE: Final = "must not have a key with the NUL character or a lone surrogate"

# In a Python str every code point is one character, so a surrogate found alone is one that
# had no partner: a valid pair from JSON is decoded into the single character it stands for.
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Unstorable:
    """One place in a document that cannot be stored, relative to the document, and why."""

    loc: Loc
    msg: str


def text_problem(value: str) -> str | None:
    """Why the text cannot be stored, or None."""
    found = _UNSTORABLE_CHARACTER.search(value)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def number_problem(value: float | int | Decimal) -> str | None:
    """Why the number cannot be stored, or None (booleans are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):  # a finite double is within a double's range
        return None if math.isfinite(value) else NOT_FINITE_MESSAGE
    if isinstance(value, Decimal):
        if not value.is_finite():
            return NOT_FINITE_MESSAGE
        return TOO_LARGE_MESSAGE if abs(value) > MAX_MAGNITUDE else None
    return TOO_LARGE_MESSAGE if abs(value) > _MAX_INTEGER else None


def unstorable(document: Any, loc: Sequence[str | int] = ()) -> list[Unstorable]:
    """Every place in a JSON document (as parsed: dicts, lists, str, numbers) that cannot be
    stored. A bad key is named at the object that holds it, never echoed in a `loc`: an answer
    could not carry it either."""
    found: list[Unstorable] = []
    _walk(document, tuple(loc), found)
    return found


# What, in a JSON text as pydantic parses it (it refuses a raw control character and a lone
# surrogate, escaped or not), can become a value `unstorable` finds: the escape of NUL; NaN
# and Infinity; and a number beyond a double, which takes a run of 100 digits or an exponent
# of 3 digits (with fewer, a number stays below 1e199). Digits are looked for with every digit
# made a 0 (and E an e, + a -), so that each shape is one substring search: a few C scans of
# the bytes, where the walk visits every value in Python. Text that merely looks like these (a
# name "NaN", a UUID's "3e123") matches too, which costs the walk and never misses a value.
_AS_ZEROS: Final = bytes.maketrans(b"123456789E+", b"000000000e-")
_LONG_RUN: Final = b"0" * 100


def may_hold_unstorable(raw: bytes) -> bool:
    """Whether the JSON text, once parsed, may hold a value `unstorable` would find. When it
    cannot, the walk is skipped (a consumer decodes every message it needs)."""
    if b"\\u0000" in raw or b"NaN" in raw or b"Infinity" in raw:
        return True
    digits = raw.translate(_AS_ZEROS)
    return b"0e000" in digits or b"0e-000" in digits or _LONG_RUN in digits


def _walk(value: Any, loc: Loc, found: list[Unstorable]) -> None:
    if isinstance(value, str):
        if problem := text_problem(value):
            found.append(Unstorable(loc, problem))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and text_problem(key) is not None:
                found.append(Unstorable(loc, BAD_KEY_MESSAGE))
                continue
            _walk(item, (*loc, key), found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, (*loc, index), found)
    elif isinstance(value, int | float | Decimal) and (problem := number_problem(value)):
        found.append(Unstorable(loc, problem))


def _error(problem: str) -> PydanticCustomError:
    return PydanticCustomError("unstorable", problem)


def raise_unstorable(found: Sequence[Unstorable], title: str) -> None:
    """Raise the places found as one ValidationError; inside a validator pydantic puts each
    under the field it validates, so every place is named from the request's root."""
    if found:
        raise ValidationError.from_exception_data(
            title,
            [InitErrorDetails(type=_error(item.msg), loc=item.loc, input=None) for item in found],
        )


def _storable_text(value: Any) -> Any:
    # Before str validation: a pattern or length check would otherwise meet the surrogate
    # first and answer with a message about parsing rather than this one.
    if isinstance(value, str) and (problem := text_problem(value)) is not None:
        raise _error(problem)
    return value


def _storable_number(value: Decimal) -> Decimal:
    if (problem := number_problem(value)) is not None:
        raise _error(problem)
    return value


# The check alone, for a text type with constraints of its own: put it after them, as in
# Annotated[str, StringConstraints(pattern=...), STORABLE_TEXT_CHECK]; it still runs first,
# and the JSON schema keeps the constraints (after a validator, pydantic leaves a pattern out).
STORABLE_TEXT_CHECK: Final = BeforeValidator(_storable_text)
StorableText = Annotated[str, STORABLE_TEXT_CHECK]
StorableNumber = Annotated[Decimal, AfterValidator(_storable_number)]


class StorableBody(BaseModel):
    """A request body whose whole document, fields, nested objects and keys alike, is checked
    before its fields are, so nothing unstorable reaches a field's own validation (nor an
    error that would echo a bad key)."""

    @model_validator(mode="before")
    @classmethod
    def _storable_document(cls, data: Any) -> Any:
        raise_unstorable(unstorable(data), cls.__name__)
        return data
