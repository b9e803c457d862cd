"""Normalizing what identifies a customer, the way ingest does: emails, phones and handles."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from crm_customers.iso_codes import COUNTRY_CODES, LANGUAGE_CODES


def normalize_email(value: str) -> str:
    """Trimmed and lowercased (DOMAIN.md); the syntax is checked, deliverability is not."""
    trimmed = value.strip()
    try:
        checked = validate_email(trimmed, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    return checked.normalized.lower()


def normalize_phone(value: str, default_region: str) -> str:
    """E.164; a number without a country code is read in the account's default region."""
    try:
        parsed = phonenumbers.parse(value.strip(), default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(value: str) -> str:
    """Lowercased, without the leading @ people often type."""
    handle = value.strip().lstrip("@").strip().lower()
    if not handle:
        raise ValueError("a handle cannot be empty")
    if any(ch.isspace() for ch in handle):
        raise ValueError("a handle cannot contain spaces")
    return handle


def check_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code (e.g. NO, SE, US)")
    return code


def check_language(value: str) -> str:
    code = value.strip().lower()
    if code not in LANGUAGE_CODES:
        raise ValueError("not an ISO 639-1 language code (e.g. nb, en, sv)")
    return code
