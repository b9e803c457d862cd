"""A booking's later deliveries follow the booking: a customer who has an email books through
their booking link with another one, which ingest does not link to them (one email per
customer); the booking's cancellation or no-show, carrying only that other email, still lands
on them (CONNECTORS.md, "Which customer"), not on a new customer."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope

from .conftest import new_id
from .connector_fixtures import payload
from .connector_support import META_SETTINGS, post_calcom, post_calendly
from .support import Ingest

LEAD_EMAIL = "kari@example.com"
BOOKING_EMAIL = "kari.private@example.com"


@pytest.fixture
async def ingest(start_ingest: Callable[..., Any]) -> AsyncIterator[Ingest]:
    async with start_ingest(**META_SETTINGS) as running:
        yield running


async def customer_of_api_event(
    ingest: Ingest, name: str, source: str, timestamp: str, email: str
) -> uuid.UUID:
    """The customer an API event naming only this email resolves to."""
    event = {
        "event_name": name,
        "event_id": new_id(name.lower()),
        "timestamp": timestamp,
        "source": source,
        "contact": {"email": email},
    }
    answer = await ingest.client.post("/api/events", json=event, headers=ingest.auth())
    assert answer.status_code == 202, answer.text
    return uuid.UUID(answer.json()["customer_id"])


async def lead_with_email(ingest: Ingest) -> uuid.UUID:
    """A lead form's customer: the email they gave is linked to them."""
    return await customer_of_api_event(
        ingest, "LEAD_QUALIFIED", "ads", "2026-11-02T08:00:00Z", LEAD_EMAIL
    )


async def customer_of_plain_event(ingest: Ingest, email: str) -> uuid.UUID:
    """The customer a plain API event naming only this email resolves to."""
    return await customer_of_api_event(ingest, "INVITE_SENT", "ig", "2026-11-02T08:30:00Z", email)


def calcom(name: str, email: str, reference: str | None) -> dict[str, Any]:
    delivery = copy.deepcopy(payload("calcom", name))
    delivery["payload"]["attendees"][0]["email"] = email
    # The invitee's email alone ties the booking's deliveries to a person.
    delivery["payload"]["responses"].pop("attendeePhoneNumber", None)
    delivery["payload"]["attendees"][0].pop("phoneNumber", None)
    metadata = delivery["payload"].setdefault("metadata", {})
    metadata.pop("crm_ref", None)
    if reference is not None:
        metadata["crm_ref"] = reference
    return delivery


def calcom_no_show(booking_uid: str, email: str) -> dict[str, Any]:
    delivery = copy.deepcopy(payload("calcom", "booking_no_show_updated"))
    delivery["payload"]["bookingUid"] = booking_uid
    delivery["payload"]["attendees"] = [{"email": email, "noShow": True}]
    return delivery


def calendly(name: str, email: str, reference: str | None) -> dict[str, Any]:
    delivery = copy.deepcopy(payload("calendly", name))
    delivery["payload"]["email"] = email
    delivery["payload"]["text_reminder_number"] = None
    delivery["payload"]["tracking"]["utm_content"] = reference
    return delivery


def accepted_customer(answer: Any) -> uuid.UUID:
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    assert result["outcome"] == "accepted", result
    return uuid.UUID(result["customer_id"])


async def lead_booked_on_calcom(ingest: Ingest) -> tuple[uuid.UUID, dict[str, Any]]:
    """A lead who booked through their Cal.com link with another email: the booking's delivery
    landed on them."""
    lead = await lead_with_email(ingest)
    booked = calcom("booking_created", BOOKING_EMAIL, f"crm-{lead}")
    assert accepted_customer(await post_calcom(ingest.client, booked)) == lead
    return lead, booked


async def envelope(ingest: Ingest, event_id: str) -> EventEnvelope:
    return (await ingest.published_with(event_id))[0].envelope


async def test_a_cal_com_no_show_with_only_the_booking_email_lands_on_the_booked_customer(
    ingest: Ingest,
) -> None:
    lead, booked = await lead_booked_on_calcom(ingest)
    no_show = calcom_no_show(booked["payload"]["uid"], BOOKING_EMAIL)
    assert accepted_customer(await post_calcom(ingest.client, no_show)) == lead
    missed = await envelope(ingest, f"calcom:{booked['payload']['uid']}:no_show:{BOOKING_EMAIL}")
    assert (missed.event_name, missed.customer_id) == (EventName.NO_SHOW, lead)
    # The booking's email is still not the lead's: the lead keeps the email they gave.
    assert missed.linked_identities is None or missed.linked_identities.email != BOOKING_EMAIL
    assert await customer_of_plain_event(ingest, BOOKING_EMAIL) != lead
    assert await customer_of_plain_event(ingest, LEAD_EMAIL) == lead


async def test_a_cal_com_guests_no_show_is_not_the_bookers(ingest: Ingest) -> None:
    lead, booked = await lead_booked_on_calcom(ingest)
    guest = "additional-guest@example.com"
    no_show = calcom_no_show(booked["payload"]["uid"], guest)
    assert accepted_customer(await post_calcom(ingest.client, no_show)) != lead


async def test_a_cal_com_reschedule_and_its_cancellation_stay_with_the_booked_customer(
    ingest: Ingest,
) -> None:
    lead, booked = await lead_booked_on_calcom(ingest)
    # The reschedule's link lost its reference: it follows the booking it moves.
    moved = calcom("booking_rescheduled", BOOKING_EMAIL, None)
    moved["payload"]["rescheduleUid"] = booked["payload"]["uid"]
    assert accepted_customer(await post_calcom(ingest.client, moved)) == lead
    canceled = calcom("booking_cancelled", BOOKING_EMAIL, None)
    canceled["payload"]["uid"] = moved["payload"]["uid"]
    assert accepted_customer(await post_calcom(ingest.client, canceled)) == lead
    event = await envelope(ingest, f"calcom:{moved['payload']['uid']}:BOOKING_CANCELLED")
    assert (event.event_name, event.customer_id) == (EventName.MEETING_CANCELED, lead)


async def test_a_calendly_cancellation_without_tracking_lands_on_the_booked_customer(
    ingest: Ingest,
) -> None:
    lead = await lead_with_email(ingest)
    booked = calendly("invitee_created", BOOKING_EMAIL, f"crm-{lead}")
    now = ingest.clock.now()
    assert accepted_customer(await post_calendly(ingest.client, booked, at=now)) == lead
    canceled = calendly("invitee_canceled", BOOKING_EMAIL, None)
    canceled["payload"]["tracking"] = None
    canceled["payload"]["uri"] = booked["payload"]["uri"]
    assert accepted_customer(await post_calendly(ingest.client, canceled, at=now)) == lead
    event = await envelope(ingest, f"calendly:{booked['payload']['uri']}:invitee.canceled")
    assert (event.event_name, event.customer_id) == (EventName.MEETING_CANCELED, lead)
    assert await customer_of_plain_event(ingest, BOOKING_EMAIL) != lead


async def test_a_booking_ingest_never_saw_resolves_by_the_email_as_before(ingest: Ingest) -> None:
    lead = await lead_with_email(ingest)
    no_show = calcom_no_show("a-booking-made-elsewhere", LEAD_EMAIL)
    assert accepted_customer(await post_calcom(ingest.client, no_show)) == lead
    stranger = calcom_no_show("another-booking-made-elsewhere", "someone.new@example.com")
    created = accepted_customer(await post_calcom(ingest.client, stranger))
    assert created != lead
    assert await customer_of_plain_event(ingest, "someone.new@example.com") == created


async def test_a_deleted_customers_booking_no_longer_leads_to_them(ingest: Ingest) -> None:
    lead, booked = await lead_booked_on_calcom(ingest)
    assert (await ingest.delete_customer(lead)).status_code == 422
    no_show = calcom_no_show(booked["payload"]["uid"], BOOKING_EMAIL)
    other = accepted_customer(await post_calcom(ingest.client, no_show))
    assert other != lead
    assert await customer_of_plain_event(ingest, BOOKING_EMAIL) == other
