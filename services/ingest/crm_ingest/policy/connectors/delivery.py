"""Who owns each item of a delivery, and how a connector's events are told apart (pure).

Meta sends one app's deliveries for every account of a deployment: an item belongs to the
account that lists the page, Instagram account or WhatsApp number it was addressed to, and
only if that account trusts the app secret the delivery was signed with. The booking tools
name the account in the path.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_ingest.policy.connectors.items import Item, Mapped
from crm_ingest.policy.deliveries import DeliveryOutcome, DeliveryRow
from crm_servicekit.accounts import Account, Accounts

_REFERENCE_PREFIX = "crm-"


@dataclass(frozen=True)
class Owned:
    account: Account
    item: Item


def trusts(account: Account, secret: str, deployment_secrets: Sequence[str]) -> bool:
    """An account with its own Meta app trusts that app's secrets; the others the
    deployment's."""
    own = account.connectors.meta.app_secrets
    return secret in own if own else secret in deployment_secrets


def owners_of(
    items: Sequence[Item], accounts: Accounts, secret: str, deployment_secrets: Sequence[str]
) -> tuple[list[Owned], list[Item]]:
    """The items each account owns, and those no account (trusting `secret`) owns."""
    owned: list[Owned] = []
    unowned: list[Item] = []
    for item in items:
        account = (
            accounts.owner_of(item.addressee.kind.value, item.addressee.id)
            if item.addressee is not None
            else None
        )
        if account is not None and trusts(account, secret, deployment_secrets):
            owned.append(Owned(account, item))
        else:
            unowned.append(item)
    return owned, unowned


def booking_reference(mapped: Mapped) -> UUID | None:
    """The customer id a booking link carried (`crm-<id>`); anything else is no reference."""
    raw = mapped.booking_reference
    if raw is None or not raw.startswith(_REFERENCE_PREFIX):
        return None
    try:
        return uuid.UUID(raw.removeprefix(_REFERENCE_PREFIX))
    except ValueError:
        return None


def connector_hash(event_id: str) -> str:
    """A connector's event id is the provider's own id of the fact, so a repeat of it is a
    duplicate whatever it maps to now (a retried first DM maps to MESSAGE_RECEIVED the
    second time, a lead's answers may have changed): the record keeps a hash of the id."""
    return hashlib.sha256(f"connector:{event_id}".encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """What became of one item for its account."""

    account_id: str
    item: Item
    outcome: DeliveryOutcome
    reason: str | None = None
    event_id: str | None = None
    customer_id: UUID | None = None

    def row(self, received_at: datetime) -> DeliveryRow:
        """The deliveries log's row of it."""
        return DeliveryRow(
            self.account_id,
            received_at,
            self.item.connector,
            self.item.provider_id,
            self.outcome,
            self.reason,
            self.event_id,
            self.customer_id,
        )
