"""What a customer's change claims at ingest (docs/domain.md, changing an identity): the
complete set of email, phone and handles after it, and the values it drops (pure)."""

from __future__ import annotations

from typing import Any

from crm_customers.customers.policy.customer import Customer

IDENTITY_FIELDS = frozenset({"email", "phone", "handles"})


def identity_set(email: str | None, phone: str | None, handles: dict[str, str]) -> dict[str, Any]:
    """A claim body's identities (or release): only the values present."""
    found: dict[str, Any] = {}
    if email:
        found["email"] = email
    if phone:
        found["phone"] = phone
    if handles:
        found["handles"] = handles
    return found


def complete_set(customer: Customer) -> dict[str, Any]:
    """Every email, phone and handle the customer has: what ingest is to hold for them."""
    return identity_set(customer.email, customer.phone, customer.handles.present())


def dropped(claimed: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The values of `before` that `claimed` no longer has (changed or cleared)."""
    now_handles = claimed.get("handles") or {}
    return identity_set(
        before.get("email") if before.get("email") != claimed.get("email") else None,
        before.get("phone") if before.get("phone") != claimed.get("phone") else None,
        {
            platform: handle
            for platform, handle in (before.get("handles") or {}).items()
            if now_handles.get(platform) != handle
        },
    )
