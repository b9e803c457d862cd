"""What identifies a prospect, normalized one way for every service: emails, phones, handles.

Ingest (resolving who an event is about) and customers (a person typing a card) call these
same functions, so an address or number matches whichever way it came in. Pure, no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


# Senders repeat the same prospects' addresses and numbers; the checks are pure, so cache them.
@functools.lru_cache(maxsize=65_536)
def normalize_email(raw: str) -> str:
    """Trimmed and lowercased, after a syntax check (no DNS lookup: it must work offline)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    return checked.normalized.lower()


@functools.lru_cache(maxsize=65_536)
def normalize_phone(raw: str, default_region: str) -> str:
    """E.164, kept only when it is a valid number; one without a country code is read in the
    account's region. A merely possible number (right length, no such range) is refused: two
    spellings of a number that cannot exist would otherwise link unrelated people."""
    region = default_region.strip().upper()
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number (region {region} assumed)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(raw: str) -> str:
    """Lowercased, without the leading @ people often type; a handle has no spaces on any of
    the platforms, so one with spaces is a name or a typo, not a handle."""
    handle = raw.strip().lstrip("@").strip().lower()
    if not handle:
        raise ValueError("a handle needs at least one character besides '@'")
    if any(ch.isspace() for ch in handle):
        raise ValueError("a handle cannot contain spaces")
    return handle


def is_sha256_hex(value: str) -> bool:
    return bool(_SHA256_HEX.match(value.strip()))


def email_sha256(email: str) -> str:
    """Meta's hashed email: SHA-256 hex of the trimmed, lowercased address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def phone_sha256(e164: str) -> str:
    """Meta's hashed phone: SHA-256 hex of the digits with country code, no '+'."""
    return hashlib.sha256(e164.lstrip("+").encode()).hexdigest()
