"""A booking tool's scheduling URL with the customer's reference in it (pure).

A booking made through the link then lands on the customer the marketer invited, whatever
email the booker types: Calendly hands `utm_content` back in the webhook's
`payload.tracking.utm_content`, and Cal.com hands a `metadata[<key>]` URL parameter back in the
webhook's `payload.metadata.<key>`. Both parameters go into every link (each tool ignores the
other's), replacing any earlier reference; the rest of the URL is kept as it was written.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit
from uuid import UUID

UTM_CONTENT: Final = "utm_content"
CALCOM_REFERENCE: Final = "metadata[crm_ref]"
_REPLACED: Final = frozenset({UTM_CONTENT, CALCOM_REFERENCE})
_SCHEMES: Final = frozenset({"http", "https"})
_SPACE_OR_CONTROL: Final = re.compile(r"[\x00-\x20\x7f-\x9f]")


class NotASchedulingUrl(ValueError):
    """Why the URL cannot carry a reference (the message names what is wrong)."""


def customer_reference(customer_id: UUID) -> str:
    return f"crm-{customer_id}"


def with_reference(url: str, customer_id: UUID) -> str:
    if _SPACE_OR_CONTROL.search(url):
        raise NotASchedulingUrl("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (reading it checks the port is a number in range)
    except ValueError as error:
        raise NotASchedulingUrl(f"not a URL: {error}") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise NotASchedulingUrl("must be an http or https URL")
    if not host:
        raise NotASchedulingUrl("must name a host")
    reference = quote(customer_reference(customer_id))
    kept = [piece for piece in parts.query.split("&") if piece and _name(piece) not in _REPLACED]
    kept += [f"{UTM_CONTENT}={reference}", f"{quote(CALCOM_REFERENCE)}={reference}"]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _name(piece: str) -> str:
    return unquote_plus(piece.partition("=")[0])
