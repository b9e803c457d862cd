"""One delivery of a provider, judged item by item (pure values).

A mapper turns a provider's verified payload into `Item`s: each says which connector it came
through, the provider's own id for it, where it was addressed (Meta: the page, Instagram
account or WhatsApp number, from which the account is found; the booking tools name the
account in the path), and what it comes to: an incoming event, a lead to read from the Graph
API first, or nothing (`Skipped`: ignored or rejected, with the reason for the deliveries log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Connector(StrEnum):
    """How a delivery came in; the deliveries log's `connector`."""

    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    WHATSAPP = "whatsapp"
    LEAD_ADS = "lead_ads"
    CALENDLY = "calendly"
    CALCOM = "calcom"
    # A Meta delivery refused before its items were read (bad signature): metrics only.
    META = "meta"
    # Our own signed webhooks (/api/hooks/dm, /api/hooks/capi/lead).
    DM = "dm"
    CAPI_LEAD = "capi_lead"


class ProviderIdKind(StrEnum):
    """The provider ids an account lists in the accounts file (the account's connectors)."""

    PAGE = "page"
    INSTAGRAM = "instagram"
    WHATSAPP_PHONE = "whatsapp_phone"


@dataclass(frozen=True)
class Addressee:
    """Where a Meta item was sent: the account that lists this id owns the item."""

    kind: ProviderIdKind
    id: str


@dataclass(frozen=True)
class Mapped:
    """An incoming event (docs/domain.md's envelope, without `account_id`, which the account
    the item belongs to gives). `is_dm`: DM_STARTED when it opens the thread, else
    MESSAGE_RECEIVED. `booking_reference`: the raw reference a booking link carried
    (`crm-<customer id>`), tried first when resolving the customer. `books`: the booking a
    booking tool's MEETING_BOOKED makes; `follows`: the earlier booking a booking tool's event
    belongs to (a cancellation, a no-show, a reschedule), whose customer it resolves to next
    (`booking_key` spells both)."""

    event: dict[str, Any]
    is_dm: bool = False
    booking_reference: str | None = None
    books: str | None = None
    follows: str | None = None


def booking_key(connector: Connector, booking_id: str) -> str:
    """A booking tool's booking as ingest remembers it: `calendly:<invitee uri>`,
    `calcom:<uid>:<hash of the booker's email>`."""
    return f"{connector.value}:{booking_id}"


@dataclass(frozen=True)
class LeadToFetch:
    """A Lead Ads notification carries only ids: the answers are read from the Graph API."""

    leadgen_id: str
    page_id: str
    form_id: str | None
    created_time: datetime


class SkipOutcome(StrEnum):
    IGNORED = "ignored"  # the CRM does not model it (reads, reactions, MEETING_ENDED...)
    REJECTED = "rejected"  # modelled but refused (no sender, a lead the Graph API lacks...)


@dataclass(frozen=True)
class Skipped:
    outcome: SkipOutcome
    reason: str


@dataclass(frozen=True)
class Item:
    connector: Connector
    # The provider's own id of this item (mid, wamid, status id, leadgen_id, invitee uri, uid).
    provider_id: str
    # Meta items: where it was addressed; None when the path names the account.
    addressee: Addressee | None
    judged: Mapped | LeadToFetch | Skipped
