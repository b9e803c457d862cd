"""Calendly's webhook deliveries as connector items (pure), from Calendly's documented examples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crm_ingest.policy.connectors.calendly import calendly_items
from crm_ingest.policy.connectors.items import Connector, Item, Mapped, SkipOutcome, Skipped
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source

from .connector_fixtures import JSON, as_incoming, payload

INVITEE = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA"
SCHEDULED = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2"
REFERENCE = "crm-5b0f2a48-7c1e-4d5f-9a64-3f1de0b7c2a1"


def only(document: Any) -> Item:
    items = calendly_items(document)
    assert len(items) == 1
    item = items[0]
    assert item.connector is Connector.CALENDLY
    assert item.addressee is None
    return item


def skipped(document: Any) -> Skipped:
    judged = only(document).judged
    assert isinstance(judged, Skipped), judged
    return judged


def test_invitee_created_books_the_meeting_with_contact_utm_and_reference() -> None:
    item = only(payload("calendly", "invitee_created"))
    assert item.provider_id == INVITEE
    assert isinstance(item.judged, Mapped)
    assert item.judged.booking_reference == REFERENCE
    assert item.judged.is_dm is False
    event = as_incoming(item.judged)
    assert event.event_name is EventName.MEETING_BOOKED
    assert event.event_id == f"calendly:{INVITEE}:invitee.created"
    # The fact's time is the delivery's created_at, never the receipt.
    assert event.timestamp == datetime(2020, 11, 23, 17, 51, 19, tzinfo=UTC)
    assert event.source is Source.WEB
    assert event.properties == {
        "booking_time": "2020-11-25T14:15:00Z",
        "booking_id": SCHEDULED,
    }
    assert event.contact is not None
    assert (event.contact.email, event.contact.name, event.contact.phone) == (
        "test@example.com",
        "John Doe",
        "+1 404-555-1234",
    )
    # utm_content carries the reference, so it is not copied into the customer's utm.
    assert event.utm is not None
    assert event.utm.model_dump(exclude_none=True) == {
        "source": "instagram",
        "medium": "dm",
        "campaign": "spring",
    }


def test_invitee_canceled_cancels_the_booking() -> None:
    item = only(payload("calendly", "invitee_canceled"))
    assert item.provider_id == INVITEE
    assert isinstance(item.judged, Mapped)
    assert item.judged.booking_reference == REFERENCE
    event = as_incoming(item.judged)
    assert event.event_name is EventName.MEETING_CANCELED
    assert event.event_id == f"calendly:{INVITEE}:invitee.canceled"
    assert event.timestamp == datetime(2020, 11, 23, 17, 54, 22, tzinfo=UTC)
    assert event.properties == {"booking_id": SCHEDULED}
    assert event.contact is not None
    assert event.contact.email == "test@example.com"


def test_a_reschedule_cancel_is_ignored_the_new_invitee_books_the_new_time() -> None:
    assert skipped(payload("calendly", "invitee_canceled_rescheduled")) == Skipped(
        SkipOutcome.IGNORED, "rescheduled"
    )


def test_no_show_created_is_a_no_show_of_the_invitee() -> None:
    item = only(payload("calendly", "invitee_no_show_created"))
    # The payload is the invitee; the no-show record itself is under payload.no_show.
    assert item.provider_id == INVITEE
    event = as_incoming(item.judged)
    assert event.event_name is EventName.NO_SHOW
    assert event.event_id == f"calendly:{INVITEE}:invitee_no_show.created"
    assert event.timestamp == datetime(2020, 11, 25, 14, 40, 3, tzinfo=UTC)
    assert event.properties == {"booking_id": SCHEDULED}


def test_no_show_deleted_and_other_events_are_ignored_with_a_reason() -> None:
    assert skipped(payload("calendly", "invitee_no_show_deleted")) == Skipped(
        SkipOutcome.IGNORED, "no-show withdrawn"
    )
    other = skipped(payload("calendly", "routing_form_submission_created"))
    assert other.outcome is SkipOutcome.IGNORED
    assert "routing_form_submission.created" in other.reason


def test_a_replayed_delivery_maps_to_the_same_event_id() -> None:
    first = only(payload("calendly", "invitee_created")).judged
    again = payload("calendly", "invitee_created")
    again["created_at"] = "2020-11-23T18:10:00.000000Z"
    replay = only(again).judged
    assert isinstance(first, Mapped)
    assert isinstance(replay, Mapped)
    assert first.event["event_id"] == replay.event["event_id"]


def broken(change: Any) -> Skipped:
    document = payload("calendly", "invitee_created")
    change(document)
    judged = skipped(document)
    assert judged.outcome is SkipOutcome.REJECTED
    return judged


def test_broken_shapes_are_rejected_naming_the_field() -> None:
    assert broken(lambda d: d["payload"].pop("scheduled_event")).reason.startswith(
        "payload.scheduled_event:"
    )
    assert broken(
        lambda d: d["payload"]["scheduled_event"].update(start_time="next tuesday")
    ).reason.startswith("payload.scheduled_event.start_time:")
    assert broken(lambda d: d.update(created_at=None)).reason.startswith("created_at:")
    assert broken(lambda d: d.update(payload="invitee")).reason.startswith("payload:")
    assert broken(lambda d: d["payload"].update(email=42)).reason.startswith("payload.email:")
    assert broken(lambda d: d["payload"].pop("uri")).reason.startswith("payload.uri:")


def test_an_invitee_the_crm_cannot_take_is_rejected_naming_the_providers_field() -> None:
    def no_identity(document: dict[str, Any]) -> None:
        document["payload"].update(email=None, text_reminder_number=None)

    assert broken(no_identity).reason.startswith("payload.email:")
    assert broken(lambda d: d["payload"].update(name="Kari\x00")).reason.startswith("payload.name:")
    assert broken(
        lambda d: d["payload"]["tracking"].update(utm_source="x" * 300)
    ).reason.startswith("payload.tracking.utm_source:")


def test_a_reference_that_is_not_text_is_no_reference() -> None:
    document = payload("calendly", "invitee_created")
    document["payload"]["tracking"]["utm_content"] = {"crm": 1}
    judged = only(document).judged
    assert isinstance(judged, Mapped)
    assert judged.booking_reference is None
    document["payload"].pop("tracking")
    judged = only(document).judged
    assert isinstance(judged, Mapped)
    assert judged.booking_reference is None
    assert "utm" not in judged.event


@given(JSON)
def test_any_json_maps_to_items_and_never_raises(document: Any) -> None:
    items = calendly_items(document)
    assert items
    for item in items:
        if isinstance(item.judged, Mapped):
            as_incoming(item.judged)


@given(st.data())
def test_any_json_inside_a_documented_delivery_never_raises(data: st.DataObject) -> None:
    name = data.draw(
        st.sampled_from(["invitee_created", "invitee_canceled", "invitee_no_show_created"])
    )
    document = copy.deepcopy(payload("calendly", name))
    key = data.draw(st.sampled_from(sorted(document["payload"])))
    document["payload"][key] = data.draw(JSON)
    for item in calendly_items(document):
        if isinstance(item.judged, Mapped):
            as_incoming(item.judged)
        else:
            assert isinstance(item.judged, Skipped)
            assert item.judged.reason


def test_each_invitee_event_names_the_invitees_booking_it_makes_or_follows() -> None:
    invitee = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA"
    created = only(payload("calendly", "invitee_created")).judged
    canceled = only(payload("calendly", "invitee_canceled")).judged
    no_show = only(payload("calendly", "invitee_no_show_created")).judged
    assert isinstance(created, Mapped)
    assert (created.books, created.follows) == (f"calendly:{invitee}", None)
    for later in (canceled, no_show):
        assert isinstance(later, Mapped)
        assert (later.books, later.follows) == (None, f"calendly:{invitee}")
    rebooked = copy.deepcopy(payload("calendly", "invitee_created"))
    rebooked["payload"]["uri"] = f"{invitee}-new"
    rebooked["payload"]["old_invitee"] = invitee
    moved = only(rebooked).judged
    assert isinstance(moved, Mapped)
    assert (moved.books, moved.follows) == (f"calendly:{invitee}-new", f"calendly:{invitee}")
