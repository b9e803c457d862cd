"""The mark a producer puts on a message whose properties are in this code's normal form.

Validating an event's properties normalizes them: the catalog model's JSON dump (by alias,
without nulls), so that every consumer stores and reads the same representation whatever the
sender wrote ("+01:00" or "Z", 49.9 or "49.90"). Every producer of the topic (ingest, and each
service's outbox) builds its envelopes by validation, so its properties are in that form
already, and normalizing is idempotent (tests/schemas/test_normal_form.py): a consumer running
the same models would dump exactly what it read. The mark says "normalized by these models";
a consumer that finds its own mark still validates the properties (a payload that cannot be
valid is dead-lettered as before) but keeps them as they are instead of dumping them again.

The mark names the models by a digest of this package's source and of pydantic's version, so
any change to a model, a validator or a serializer (or to anything else here) changes it: a
message from another version (a rolling deploy, a rebuild replaying old messages) is
normalized again, which costs time, never a different result. Where the source cannot be read
there is no mark, and every message is normalized.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Final

import pydantic
import pydantic_core

# The body's first member, ahead of the envelope's fields (consumers ignore fields they do not
# know; only a body that starts with this very member is taken as marked).
MARK_KEY: Final = "properties_form"


@cache
def normal_form_mark() -> bytes:
    """The opening of a marked body, `{"properties_form":"<digest>",`; empty without one."""
    digest = hashlib.sha256(f"{pydantic.VERSION}/{pydantic_core.__version__}".encode())
    try:
        for source in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    except OSError:
        return b""
    # In letters only: digits could look like a number's exponent to the scan that spares
    # the unstorable walk (crm_schemas.storable.may_hold_unstorable), on every message.
    name = digest.hexdigest()[:16].translate(_DIGITS_AS_LETTERS)
    return f'{{"{MARK_KEY}":"{name}",'.encode()


_DIGITS_AS_LETTERS: Final = str.maketrans("0123456789", "ghijklmnop")


def marked(body: bytes) -> bytes:
    """An envelope's JSON body (an object) with the mark as its first member."""
    mark = normal_form_mark()
    return mark + body[1:] if mark and body.startswith(b"{") else body


def is_marked(raw: bytes) -> bool:
    mark = normal_form_mark()
    return bool(mark) and raw.startswith(mark)


_ANY_MARK: Final = re.compile(rb'\{"' + MARK_KEY.encode() + rb'":"[^"]*",')


def unmarked(body: bytes) -> bytes:
    """The body without a mark in front: for one a person wrote (a dead letter's corrected
    value), whose properties no producer normalized, whatever mark it was copied with."""
    found = _ANY_MARK.match(body)
    return b"{" + body[found.end() :] if found else body
