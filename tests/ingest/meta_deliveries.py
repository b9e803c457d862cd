"""Meta deliveries as Meta sends them (the documented nesting), built for the ingest tests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from crm_ingest.policy.connectors.signatures import meta_signature

from .connector_support import META_SECRET


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def dm(sender: str, recipient: str, mid: str, at: datetime, text: str = "Hei!") -> dict[str, Any]:
    """One `messaging[]` item: a person's message to the page (or Instagram account)."""
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": ms(at),
        "message": {"mid": mid, "text": text},
    }


def echo(page: str, person: str, mid: str, at: datetime, text: str = "Takk!") -> dict[str, Any]:
    """The page's own message (the marketer's reply), echoed back: sender is the page."""
    return {
        "sender": {"id": page},
        "recipient": {"id": person},
        "timestamp": ms(at),
        "message": {"mid": mid, "is_echo": True, "app_id": 1517776481860111, "text": text},
    }


def read(sender: str, recipient: str, at: datetime) -> dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": ms(at),
        "read": {"watermark": ms(at)},
    }


def entry(owner: str, at: datetime, *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": owner, "time": ms(at), "messaging": list(items)}


def delivery(*entries: dict[str, Any], object_: str = "page") -> dict[str, Any]:
    return {"object": object_, "entry": list(entries)}


def whatsapp(
    phone_number_id: str,
    at: datetime,
    *,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def wa_text(wa_id: str, wamid: str, at: datetime, body: str = "Hei!") -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(int(at.timestamp())),
        "type": "text",
        "text": {"body": body},
    }


def wa_status(wamid: str, status: str, recipient: str, at: datetime) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": status,
        "timestamp": str(int(at.timestamp())),
        "recipient_id": recipient,
    }


def leadgen(
    page_id: str, leadgen_id: str, at: datetime, form_id: str = "444444444"
) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": int(at.timestamp()),
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "ad_id": "444444444",
                            "form_id": form_id,
                            "leadgen_id": leadgen_id,
                            "created_time": int(at.timestamp()),
                            "page_id": page_id,
                            "adgroup_id": "44444444",
                        },
                    }
                ],
            }
        ],
    }


def at_ms(at: datetime) -> datetime:
    """`at` as Meta carries it: to the millisecond."""
    return datetime.fromtimestamp(ms(at) / 1000, tz=at.tzinfo)


def json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode()


def signature_header(raw: bytes, secret: str = META_SECRET) -> str:
    return meta_signature(raw, secret)
