"""The providers' own webhook bodies, in the nesting and field names their documentation
gives (tests/backtest/provider_payloads/ holds the documented examples they are checked
against): Meta's Messenger and Instagram messaging, the WhatsApp Cloud API, Calendly's
webhooks v2 and Cal.com's. Pure: ids and times in, a JSON body out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_backtest.clock import iso

# The Meta app that "sends" the marketer's replies (an echo names the app it came from).
APP_ID = 1517776481860111
CALENDLY_API = "https://api.calendly.com"
CALENDLY_USER = f"{CALENDLY_API}/users/BACKTESTUSER0001"
CALCOM_BOOKER = "https://cal.com"
MEETING_MINUTES = 30


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _messaging(object_: str, owner: str, at: datetime, item: dict[str, Any]) -> dict[str, Any]:
    return {"object": object_, "entry": [{"id": owner, "time": ms(at), "messaging": [item]}]}


def meta_message(
    object_: str, owner: str, sender: str, mid: str, at: datetime, text: str
) -> dict[str, Any]:
    """A person's message to a Facebook page (`object` page) or an Instagram professional
    account (`object` instagram); `owner` is the page or Instagram account id."""
    item = {
        "sender": {"id": sender},
        "recipient": {"id": owner},
        "timestamp": ms(at),
        "message": {"mid": mid, "text": text},
    }
    return _messaging(object_, owner, at, item)


def meta_echo(
    object_: str, owner: str, recipient: str, mid: str, at: datetime, text: str
) -> dict[str, Any]:
    """The page's (the marketer's) own message, echoed back: the sender is the page."""
    item = {
        "sender": {"id": owner},
        "recipient": {"id": recipient},
        "timestamp": ms(at),
        "message": {"mid": mid, "is_echo": True, "app_id": APP_ID, "text": text},
    }
    return _messaging(object_, owner, at, item)


def _whatsapp(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    body = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        **value,
    }
    # The WhatsApp Business Account's id: one per deployment's number here; not the account.
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": body, "field": "messages"}]}],
    }


def whatsapp_message(
    phone_number_id: str, wa_id: str, name: str, wamid: str, at: datetime, text: str
) -> dict[str, Any]:
    message = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(int(at.timestamp())),
        "type": "text",
        "text": {"body": text},
    }
    contacts = [{"profile": {"name": name}, "wa_id": wa_id}]
    return _whatsapp(phone_number_id, {"contacts": contacts, "messages": [message]})


def whatsapp_sent(phone_number_id: str, wa_id: str, wamid: str, at: datetime) -> dict[str, Any]:
    """The status `sent` of the business's message to `wa_id` (the Cloud API sends no echo)."""
    status = {
        "id": wamid,
        "status": "sent",
        "timestamp": str(int(at.timestamp())),
        "recipient_id": wa_id,
    }
    return _whatsapp(phone_number_id, {"statuses": [status]})


def calendly_invitee(
    event: str,
    created_at: datetime,
    scheduled_event: str,
    invitee: str,
    start: datetime,
    email: str,
    name: str,
) -> dict[str, Any]:
    """`invitee.created`, `invitee.canceled` or `invitee_no_show.created` for one invitee of one
    scheduled event (both uris); `payload.tracking.utm_content` is filled in at send time, from
    the booking link the CRM gave (crm_backtest.booking_links)."""
    end = start.timestamp() + MEETING_MINUTES * 60
    payload: dict[str, Any] = {
        "cancel_url": f"https://calendly.com/cancellations/{invitee.rsplit('/', 1)[-1]}",
        "created_at": iso(created_at),
        "email": email,
        "event": scheduled_event,
        "name": name,
        "no_show": None,
        "questions_and_answers": [],
        "rescheduled": False,
        "status": "canceled" if event == "invitee.canceled" else "active",
        "text_reminder_number": None,
        "timezone": "Europe/Oslo",
        "tracking": {
            "utm_campaign": None,
            "utm_source": None,
            "utm_medium": None,
            "utm_content": None,
            "utm_term": None,
            "salesforce_uuid": None,
        },
        "uri": invitee,
        "scheduled_event": {
            "uri": scheduled_event,
            "name": "Opportunity call",
            "status": "canceled" if event == "invitee.canceled" else "active",
            "start_time": iso(start),
            "end_time": iso(datetime.fromtimestamp(end, start.tzinfo)),
            "event_type": f"{CALENDLY_API}/event_types/BACKTESTTYPE0001",
        },
    }
    if event == "invitee.canceled":
        payload["cancellation"] = {
            "canceled_by": name,
            "reason": "Something came up",
            "canceler_type": "invitee",
            "created_at": iso(created_at),
        }
    if event == "invitee_no_show.created":
        payload["no_show"] = {
            "uri": f"{CALENDLY_API}/invitee_no_shows/{invitee.rsplit('/', 1)[-1]}",
            "created_at": iso(created_at),
        }
    return {
        "created_at": iso(created_at),
        "created_by": CALENDLY_USER,
        "event": event,
        "payload": payload,
    }


def calcom_booking(
    trigger: str, created_at: datetime, uid: str, start: datetime, email: str, name: str
) -> dict[str, Any]:
    """BOOKING_CREATED or BOOKING_CANCELLED; a created booking's `payload.metadata` gets what
    the booking link passed as `metadata[key]=value`, filled in at send time (a cancellation
    finds the customer by the attendee's email, which the booking linked)."""
    end = datetime.fromtimestamp(start.timestamp() + MEETING_MINUTES * 60, start.tzinfo)
    payload: dict[str, Any] = {
        "bookerUrl": CALCOM_BOOKER,
        "title": f"Opportunity call between Marketer and {name}",
        "startTime": iso(start),
        "endTime": iso(end),
        "type": "opportunity-call",
        "organizer": {"id": 1, "name": "Marketer", "email": "marketer@example.com"},
        "attendees": [{"email": email, "name": name, "timeZone": "Europe/Oslo"}],
        "responses": {
            "name": {"label": "your_name", "value": name},
            "email": {"label": "email_address", "value": email},
        },
        "uid": uid,
        "status": "CANCELLED" if trigger == "BOOKING_CANCELLED" else "ACCEPTED",
    }
    if trigger == "BOOKING_CANCELLED":
        payload["cancellationReason"] = "Something came up"
    else:
        payload["metadata"] = {}
    return {"triggerEvent": trigger, "createdAt": iso(created_at), "payload": payload}


def calcom_no_show(created_at: datetime, uid: str, email: str) -> dict[str, Any]:
    return {
        "triggerEvent": "BOOKING_NO_SHOW_UPDATED",
        "createdAt": iso(created_at),
        "payload": {
            "message": f"{email} marked as no-show",
            "attendees": [{"email": email, "noShow": True}],
            "bookingUid": uid,
        },
    }
