"""Calendly and Cal.com straight in: a booking made through the customer's booking link lands
on the person the marketer invited, whatever email they book with; reschedules, cancels and
no-shows as CONNECTORS.md says; and the signatures that keep anyone else out."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_devstack.kafka_testing import eventually
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of

from . import meta_deliveries as meta
from .connector_fixtures import payload
from .connector_support import (
    ACME_IG,
    CALENDLY_OLD_KEY,
    META_SETTINGS,
    post_calcom,
    post_calendly,
    post_meta,
)
from .support import T0, Ingest

AT = T0 - timedelta(minutes=5)


@pytest.fixture
async def ingest(start_ingest: Callable[..., Any]) -> AsyncIterator[Ingest]:
    async with start_ingest(**META_SETTINGS) as running:
        yield running


async def invited_on_instagram(ingest: Ingest, sender: str) -> uuid.UUID:
    """A prospect's first DM: the customer the marketer then sends a booking link."""
    body = meta.delivery(
        meta.entry(ACME_IG, AT, meta.dm(sender, ACME_IG, f"mid-{sender}", AT)),
        object_="instagram",
    )
    answer = await post_meta(ingest.client, body)
    [result] = answer.json()["results"]
    return uuid.UUID(result["customer_id"])


def calendly(name: str, email: str, reference: str | None) -> dict[str, Any]:
    delivery = copy.deepcopy(payload("calendly", name))
    delivery["payload"]["email"] = email
    delivery["payload"]["tracking"]["utm_content"] = reference
    return delivery


def calcom(name: str, email: str, reference: str | None) -> dict[str, Any]:
    delivery = copy.deepcopy(payload("calcom", name))
    delivery["payload"]["attendees"][0]["email"] = email
    delivery["payload"]["responses"]["email"]["value"] = email
    delivery["payload"]["metadata"]["crm_ref"] = reference
    return delivery


async def only(ingest: Ingest, event_id: str) -> Any:
    return (await ingest.published_with(event_id))[0].envelope


async def test_a_calendly_booking_through_the_link_lands_on_the_invited_customer(
    ingest: Ingest,
) -> None:
    invited = await invited_on_instagram(ingest, "igsid-kari")
    booked = calendly("invitee_created", "kari.private@example.com", f"crm-{invited}")
    answer = await post_calendly(ingest.client, booked, at=ingest.clock.now())
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    invitee = booked["payload"]["uri"]
    meeting = await only(ingest, f"calendly:{invitee}:invitee.created")
    assert meeting.event_name is EventName.MEETING_BOOKED
    assert meeting.customer_id == invited == uuid.UUID(result["customer_id"])
    assert meeting.timestamp == datetime(2020, 11, 23, 17, 51, 19, tzinfo=UTC)
    assert meeting.properties["booking_time"] == "2020-11-25T14:15:00Z"
    assert meeting.properties["booking_id"] == booked["payload"]["scheduled_event"]["uri"]
    # The reference names the customer; it is not the customer's own UTM.
    assert meeting.utm is not None
    assert meeting.utm.campaign == "spring"
    # The no-show later, with the same email: the same customer.
    no_show = calendly("invitee_no_show_created", "kari.private@example.com", None)
    assert (await post_calendly(ingest.client, no_show, at=ingest.clock.now())).status_code == 200
    missed = await only(ingest, f"calendly:{no_show['payload']['uri']}:invitee_no_show.created")
    assert (missed.event_name, missed.customer_id) == (EventName.NO_SHOW, invited)
    listed = await ingest.client.get(
        "/api/hooks/deliveries", params={"connector": "calendly"}, headers=ingest.auth()
    )
    assert [item["outcome"] for item in listed.json()["items"]] == ["accepted", "accepted"]


async def test_a_reference_to_no_live_customer_of_the_account_is_ignored(ingest: Ingest) -> None:
    stranger = calendly("invitee_created", "new.person@example.com", f"crm-{uuid.uuid4()}")
    answer = await post_calendly(ingest.client, stranger, at=ingest.clock.now())
    [result] = answer.json()["results"]
    assert result["outcome"] == "accepted"
    # A new customer for the new email, not the id the reference made up.
    meeting = await only(ingest, result["event_id"])
    assert meeting.customer_id != uuid.UUID(stranger["payload"]["tracking"]["utm_content"][4:])


async def test_a_calendly_reschedule_is_the_new_booking_and_the_cancel_is_ignored(
    ingest: Ingest,
) -> None:
    invited = await invited_on_instagram(ingest, "igsid-ola")
    reference = f"crm-{invited}"
    canceled = calendly("invitee_canceled_rescheduled", "ola@example.com", reference)
    answer = await post_calendly(ingest.client, canceled, at=ingest.clock.now())
    [result] = answer.json()["results"]
    assert (result["outcome"], result["reason"]) == ("ignored", "rescheduled")
    rebooked = calendly("invitee_created", "ola@example.com", reference)
    rebooked["payload"]["uri"] = canceled["payload"]["new_invitee"]
    rebooked["payload"]["scheduled_event"]["start_time"] = "2020-11-27T10:00:00.000000Z"
    assert (await post_calendly(ingest.client, rebooked, at=ingest.clock.now())).status_code == 200
    meeting = await only(ingest, f"calendly:{canceled['payload']['new_invitee']}:invitee.created")
    assert meeting.properties["booking_time"] == "2020-11-27T10:00:00Z"
    assert meeting.customer_id == invited
    published = [p.envelope.event_name for p in await ingest.published()]
    assert EventName.MEETING_CANCELED not in published


async def test_cal_com_booking_reschedule_and_the_scheduled_end(ingest: Ingest) -> None:
    invited = await invited_on_instagram(ingest, "igsid-siri")
    reference = f"crm-{invited}"
    created = calcom("booking_created", "siri.work@example.com", reference)
    assert (await post_calcom(ingest.client, created)).status_code == 200
    first = await only(ingest, "calcom:unique-booking-id:BOOKING_CREATED")
    assert (first.event_name, first.customer_id) == (EventName.MEETING_BOOKED, invited)
    moved = calcom("booking_rescheduled", "siri.work@example.com", reference)
    assert (await post_calcom(ingest.client, moved)).status_code == 200
    rescheduled = await only(
        ingest, "calcom:new-booking-unique-id:BOOKING_RESCHEDULED:2024-01-10T14:30:00Z"
    )
    assert rescheduled.event_name is EventName.MEETING_BOOKED
    assert rescheduled.properties["booking_id"] == "new-booking-unique-id"
    assert rescheduled.properties["booking_time"] == "2024-01-10T14:30:00Z"
    assert rescheduled.customer_id == invited
    ended = await post_calcom(ingest.client, payload("calcom", "meeting_ended"))
    [result] = ended.json()["results"]
    assert result["outcome"] == "ignored"
    assert "not attendance" in result["reason"]


async def test_signatures_and_unknown_accounts_publish_nothing(ingest: Ingest) -> None:
    booked = calendly("invitee_created", "someone@example.com", None)
    now = ingest.clock.now()
    refused = [
        await post_calendly(ingest.client, booked, at=now, key="not-the-key"),
        await post_calendly(ingest.client, booked, at=now - timedelta(minutes=6)),
        await post_calendly(ingest.client, booked, at=now, account="nobody"),
        await post_calcom(
            ingest.client, calcom("booking_created", "x@example.com", None), secret="x"
        ),
        await post_calcom(ingest.client, {"triggerEvent": "PING"}, account="beta"),
    ]
    raw = json.dumps(booked).encode()
    refused.append(
        await ingest.client.post(
            "/api/hooks/calendly/acme", content=raw, headers={"content-type": "application/json"}
        )
    )
    assert [answer.status_code for answer in refused] == [401] * len(refused)
    assert await ingest.published() == []
    # The signing key being rotated out still signs.
    rotated = await post_calendly(ingest.client, booked, at=now, key=CALENDLY_OLD_KEY)
    assert rotated.status_code == 200


async def test_a_customer_created_through_the_api_is_known_to_the_booking_reference(
    ingest: Ingest,
) -> None:
    """Ingest learns of customers the customers service created (CUSTOMER_CREATED) even when
    no event named them yet, so their booking link resolves to them."""
    created_by_api = uuid.uuid4()
    golden = Path(__file__).parents[1] / "schemas" / "golden" / "v1" / "CUSTOMER_CREATED.json"
    document = {
        **json.loads(golden.read_text()),
        "customer_id": str(created_by_api),
        "event_id": f"created-{created_by_api}",
    }
    producer = idempotent_producer(ingest.bootstrap, client_id="tests")
    await producer.start()
    try:
        event = EventEnvelope.model_validate(document)
        await publish_in_order(producer, [record_of(event, ingest.settings.events_topic)])
    finally:
        await producer.stop()

    async def book() -> Any:
        # A new invitee each time: a repeat of one accepted would answer "duplicate".
        booked = calendly("invitee_created", f"{uuid.uuid4().hex}@example.com", None)
        booked["payload"]["uri"] = f"https://api.calendly.com/invitees/{uuid.uuid4()}"
        booked["payload"]["tracking"]["utm_content"] = f"crm-{created_by_api}"
        answer = await post_calendly(ingest.client, booked, at=ingest.clock.now())
        return answer.json()["results"][0]["customer_id"]

    assert await eventually(book, lambda customer: customer == str(created_by_api))


async def test_the_booking_tools_are_rate_limited_per_account(
    start_ingest: Callable[..., Any],
) -> None:
    async with start_ingest(rate_limit_per_s=0.01, rate_limit_burst=1) as limited:
        body = payload("calcom", "meeting_ended")
        first = await post_calcom(limited.client, body)
        second = await post_calcom(limited.client, body)
        assert (first.status_code, second.status_code) == (200, 429)
        assert "retry-after" in second.headers
