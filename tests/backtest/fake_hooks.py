"""The fake system's webhooks: the CRM's own (`/hooks/dm`, `/hooks/capi/lead`) and the
providers' (`/hooks/meta`, `/hooks/calendly/{account}`, `/hooks/calcom/{account}`), each
checked its way and read into the envelopes the fake accepts, as CONNECTORS.md maps them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from crm_backtest.accounts import AccountProfile
from crm_backtest.clock import iso

WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
META_SECRET = "test-meta-app-secret"
CALENDLY_KEY = "test-calendly-signing-key"
CALCOM_SECRET = "test-calcom-secret"
META_SOURCES = {"page": "messenger", "instagram": "ig"}

Envelopes = list[tuple[str, dict[str, Any]]]  # (account, envelope)


class Refused(Exception):
    """A signature that does not check out: 401."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def crm_hook(request: httpx.Request, path: str) -> Envelopes:
    try:
        body = Webhook(WEBHOOK_SECRET).verify(request.content, dict(request.headers))
    except Exception as error:
        raise Refused from error
    if path == "/hooks/dm":
        sender = body["sender"]
        envelope = {
            "event_id": body["event_id"],
            "timestamp": body["timestamp"],
            "contact": {"handles": {body["platform"]: sender["handle"]}},
            "consent": body.get("consent"),
            "dm_platform": body["platform"],
        }
    else:
        email = body["user_data"]["em"].lower()
        envelope = {
            "event_name": "LEAD_QUALIFIED",
            "event_id": body["event_id"],
            "timestamp": iso(datetime.fromtimestamp(body["event_time"], UTC)),
            "contact": {"email_hash": email if len(email) == 64 else _sha(email)},
        }
    return [(body["account_id"], envelope)]


def _owner(accounts: dict[str, AccountProfile], kind: str, provider_id: str) -> str:
    for profile in accounts.values():
        if getattr(profile, kind) == provider_id:
            return profile.account_id
    raise AssertionError(f"no account lists {kind} {provider_id}")


def _meta_message(item: dict[str, Any], source: str) -> dict[str, Any]:
    at = iso(datetime.fromtimestamp(item["timestamp"] / 1000, UTC))
    message = item["message"]
    event_id = f"meta:{message['mid']}"
    if message.get("is_echo"):
        person = item["recipient"]["id"]
        return {"event_name": "MESSAGE_SENT", "event_id": event_id, "timestamp": at,
                "user_id": person, "source": source, "contact": {}}  # fmt: skip
    person = item["sender"]["id"]
    return {"event_id": event_id, "timestamp": at, "user_id": person, "source": source,
            "contact": {}, "dm_platform": source}  # fmt: skip


def _whatsapp(value: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for message in value.get("messages", []):
        at = iso(datetime.fromtimestamp(int(message["timestamp"]), UTC))
        found.append({
            "event_id": f"wa:{message['id']}", "timestamp": at, "user_id": message["from"],
            "source": "whatsapp", "contact": {"phone": "+" + message["from"]},
            "dm_platform": "whatsapp",
        })  # fmt: skip
    for status in value.get("statuses", []):
        at = iso(datetime.fromtimestamp(int(status["timestamp"]), UTC))
        found.append({
            "event_name": "MESSAGE_SENT", "event_id": f"wa-status:{status['id']}:sent",
            "timestamp": at, "user_id": status["recipient_id"], "source": "whatsapp",
            "contact": {"phone": "+" + status["recipient_id"]},
        })  # fmt: skip
    return found


def meta_hook(request: httpx.Request, accounts: dict[str, AccountProfile]) -> Envelopes:
    signature = request.headers.get("x-hub-signature-256", "")
    if not hmac.compare_digest(signature, f"sha256={_hex(META_SECRET, request.content)}"):
        raise Refused
    body = json.loads(request.content)
    found: Envelopes = []
    for entry in body["entry"]:
        if body["object"] == "whatsapp_business_account":
            for change in entry["changes"]:
                value = change["value"]
                number = value["metadata"]["phone_number_id"]
                account = _owner(accounts, "whatsapp_phone_number_id", number)
                found += [(account, envelope) for envelope in _whatsapp(value)]
            continue
        kind = "page_id" if body["object"] == "page" else "instagram_account_id"
        account = _owner(accounts, kind, entry["id"])
        source = META_SOURCES[body["object"]]
        found += [(account, _meta_message(item, source)) for item in entry["messaging"]]
    return found


def _booking(name: str, event_id: str, at: str, email: str, **extra: Any) -> dict[str, Any]:
    return {"event_name": name, "event_id": event_id, "timestamp": at,
            "contact": {"email": email}, **extra}  # fmt: skip


def calendly_hook(request: httpx.Request, account: str) -> Envelopes:
    header = dict(part.split("=", 1) for part in request.headers.get(
        "calendly-webhook-signature", "").split(",") if "=" in part)  # fmt: skip
    signed = f"{header.get('t')}.".encode() + request.content
    if not hmac.compare_digest(header.get("v1", ""), _hex(CALENDLY_KEY, signed)):
        raise Refused
    body = json.loads(request.content)
    payload, event = body["payload"], body["event"]
    names = {"invitee.created": "MEETING_BOOKED", "invitee.canceled": "MEETING_CANCELED",
             "invitee_no_show.created": "NO_SHOW"}  # fmt: skip
    extra: dict[str, Any] = {}
    if event == "invitee.created":
        extra["properties"] = {"booking_time": payload["scheduled_event"]["start_time"]}
    reference = payload["tracking"]["utm_content"]
    if reference:
        extra["customer_id"] = reference.removeprefix("crm-")
    event_id = f"calendly:{payload['uri']}:{event}"
    return [(account, _booking(names[event], event_id, body["created_at"], payload["email"],
                               **extra))]  # fmt: skip


def calcom_hook(request: httpx.Request, account: str) -> Envelopes:
    signature = request.headers.get("x-cal-signature-256", "")
    if not hmac.compare_digest(signature, _hex(CALCOM_SECRET, request.content)):
        raise Refused
    body = json.loads(request.content)
    payload, trigger, at = body["payload"], body["triggerEvent"], body["createdAt"]
    if trigger == "BOOKING_NO_SHOW_UPDATED":
        return [
            (account, _booking("NO_SHOW", f"calcom:{payload['bookingUid']}:no_show:"
                               f"{attendee['email']}", at, attendee["email"]))
            for attendee in payload["attendees"] if attendee["noShow"]
        ]  # fmt: skip
    email = payload["attendees"][0]["email"]
    event_id = f"calcom:{payload['uid']}:{trigger}"
    if trigger == "BOOKING_CANCELLED":
        return [(account, _booking("MEETING_CANCELED", event_id, at, email))]
    extra: dict[str, Any] = {"properties": {"booking_time": payload["startTime"]}}
    reference = (payload.get("metadata") or {}).get("crm_ref")
    if reference:
        extra["customer_id"] = reference.removeprefix("crm-")
    return [(account, _booking("MEETING_BOOKED", event_id, at, email, **extra))]


def hook_envelopes(
    request: httpx.Request, path: str, accounts: dict[str, AccountProfile]
) -> Envelopes:
    if path in ("/hooks/dm", "/hooks/capi/lead"):
        return crm_hook(request, path)
    if path == "/hooks/meta":
        return meta_hook(request, accounts)
    tool, account = path.removeprefix("/hooks/").split("/")
    if account not in accounts:
        raise Refused
    return (calendly_hook if tool == "calendly" else calcom_hook)(request, account)


def identity_keys(envelope: dict[str, Any]) -> list[str]:
    """The identities an envelope names, as the fake links them."""
    contact = envelope.get("contact") or {}
    keys = [f"h:{p}:{h}" for p, h in sorted((contact.get("handles") or {}).items())]
    if contact.get("email"):
        keys.append(f"e:{_sha(contact['email'].lower())}")
    if contact.get("email_hash"):
        keys.append(f"e:{contact['email_hash']}")
    if envelope.get("user_id"):
        keys.append(f"p:{envelope['source']}:{envelope['user_id']}")
    if contact.get("phone"):
        keys.append(f"ph:{contact['phone']}")
    return keys
