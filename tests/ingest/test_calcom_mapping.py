"""Cal.com's webhook deliveries as connector items (pure), from Cal.com's documented examples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crm_ingest.policy.connectors.calcom import calcom_items
from crm_ingest.policy.connectors.items import Connector, Item, Mapped, SkipOutcome, Skipped
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.identity import email_sha256

from .connector_fixtures import JSON, as_incoming, payload

REFERENCE = "crm-5b0f2a48-7c1e-4d5f-9a64-3f1de0b7c2a1"


def only(document: Any) -> Item:
    items = calcom_items(document)
    assert len(items) == 1
    assert items[0].connector is Connector.CALCOM
    assert items[0].addressee is None
    return items[0]


def skipped(document: Any) -> Skipped:
    judged = only(document).judged
    assert isinstance(judged, Skipped), judged
    return judged


def test_booking_created_books_the_first_attendee_with_the_links_reference() -> None:
    item = only(payload("calcom", "booking_created"))
    assert item.provider_id == "unique-booking-id"
    assert isinstance(item.judged, Mapped)
    assert item.judged.booking_reference == REFERENCE
    event = as_incoming(item.judged)
    assert event.event_name is EventName.MEETING_BOOKED
    assert event.event_id == "calcom:unique-booking-id:BOOKING_CREATED"
    assert event.timestamp == datetime(2024, 1, 1, tzinfo=UTC)
    assert event.source is Source.WEB
    assert event.properties == {
        "booking_time": "2024-01-01T10:00:00Z",
        "booking_id": "unique-booking-id",
    }
    assert event.contact is not None
    # The booker, not the guest; the phone from the booking form when the attendee has none.
    assert (event.contact.email, event.contact.name, event.contact.phone) == (
        "guest@example.com",
        "Guest User",
        "+47 912 34 567",
    )
    assert event.utm is None


def test_a_reschedule_books_the_new_time_under_the_new_uid() -> None:
    item = only(payload("calcom", "booking_rescheduled"))
    assert item.provider_id == "new-booking-unique-id"
    assert isinstance(item.judged, Mapped)
    assert item.judged.booking_reference == REFERENCE
    event = as_incoming(item.judged)
    assert event.event_name is EventName.MEETING_BOOKED
    assert event.event_id == (
        "calcom:new-booking-unique-id:BOOKING_RESCHEDULED:2024-01-10T14:30:00Z"
    )
    assert event.properties == {
        "booking_time": "2024-01-10T14:30:00Z",
        "booking_id": "new-booking-unique-id",
    }


def test_booking_cancelled_cancels_with_the_attendees_own_phone() -> None:
    item = only(payload("calcom", "booking_cancelled"))
    event = as_incoming(item.judged)
    assert event.event_name is EventName.MEETING_CANCELED
    assert event.event_id == "calcom:unique-booking-identifier:BOOKING_CANCELLED"
    assert event.timestamp == datetime(2024, 1, 1, 15, tzinfo=UTC)
    assert event.properties == {"booking_id": "unique-booking-identifier"}
    assert event.contact is not None
    assert event.contact.phone == "+4791234567"
    assert isinstance(item.judged, Mapped)
    assert item.judged.booking_reference is None


def test_a_no_show_mark_is_a_no_show_per_attendee_and_an_unmark_is_ignored() -> None:
    item = only(payload("calcom", "booking_no_show_updated"))
    assert item.provider_id == "5vQFqxDFMjdgKGMijqtqRw"
    event = as_incoming(item.judged)
    assert event.event_name is EventName.NO_SHOW
    assert event.event_id == "calcom:5vQFqxDFMjdgKGMijqtqRw:no_show:test@example.com"
    assert event.timestamp == datetime(2025, 12, 1, 12, 34, 34, 774000, tzinfo=UTC)
    assert event.properties == {"booking_id": "5vQFqxDFMjdgKGMijqtqRw"}
    assert event.contact is not None
    assert event.contact.email == "test@example.com"
    assert skipped(payload("calcom", "booking_no_show_unmarked")) == Skipped(
        SkipOutcome.IGNORED, "attendee unmarked as no-show"
    )


def test_one_no_show_update_naming_several_attendees_gives_an_item_each() -> None:
    document = payload("calcom", "booking_no_show_updated")
    document["payload"]["attendees"] = [
        {"email": "a@example.com", "noShow": True},
        {"email": "b@example.com", "noShow": False},
        {"noShow": True},
    ]
    first, second, third = calcom_items(document)
    assert as_incoming(first.judged).event_id.endswith(":no_show:a@example.com")
    assert second.judged == Skipped(SkipOutcome.IGNORED, "attendee unmarked as no-show")
    assert isinstance(third.judged, Skipped)
    assert third.judged.outcome is SkipOutcome.REJECTED
    assert third.judged.reason.startswith("payload.attendees[2].email:")


def test_meeting_ended_and_other_triggers_are_ignored_with_a_reason() -> None:
    assert skipped(payload("calcom", "meeting_ended")) == Skipped(
        SkipOutcome.IGNORED, "scheduled end, not attendance"
    )
    requested = skipped(payload("calcom", "booking_requested"))
    assert requested.outcome is SkipOutcome.IGNORED
    assert "not confirmed" in requested.reason
    other = skipped({"triggerEvent": "RECORDING_READY", "createdAt": "2025-12-22T05:50:04Z"})
    assert other.outcome is SkipOutcome.IGNORED
    assert "RECORDING_READY" in other.reason


def broken(change: Any, name: str = "booking_created") -> Skipped:
    document = payload("calcom", name)
    change(document)
    judged = skipped(document)
    assert judged.outcome is SkipOutcome.REJECTED
    return judged


def test_broken_shapes_are_rejected_naming_the_field() -> None:
    assert broken(lambda d: d["payload"].pop("uid")).reason.startswith("payload.uid:")
    assert broken(lambda d: d["payload"].update(startTime="soon")).reason.startswith(
        "payload.startTime:"
    )
    assert broken(lambda d: d["payload"].update(attendees=[])).reason.startswith(
        "payload.attendees:"
    )
    assert broken(lambda d: d["payload"]["attendees"][0].update(email=7)).reason.startswith(
        "payload.attendees[0].email:"
    )
    assert broken(lambda d: d.pop("createdAt")).reason.startswith("createdAt:")
    assert broken(lambda d: d.update(payload=None), "booking_no_show_updated").reason.startswith(
        "payload:"
    )
    assert broken(
        lambda d: d["payload"].pop("bookingUid"), "booking_no_show_updated"
    ).reason.startswith("payload.bookingUid:")


def test_a_booker_the_crm_cannot_take_is_rejected_naming_the_providers_field() -> None:
    def no_identity(document: dict[str, Any]) -> None:
        document["payload"]["attendees"][0].update(email=None)
        document["payload"].pop("responses")

    assert broken(no_identity).reason.startswith("payload.attendees[0].email:")
    assert broken(lambda d: d["payload"].update(uid="u" * 300)).reason.startswith("payload.uid:")


def test_only_text_in_metadata_crm_ref_is_a_reference() -> None:
    document = payload("calcom", "booking_created")
    document["payload"]["metadata"]["crm_ref"] = ["crm-1"]
    judged = only(document).judged
    assert isinstance(judged, Mapped)
    assert judged.booking_reference is None
    document["payload"]["metadata"] = None
    judged = only(document).judged
    assert isinstance(judged, Mapped)
    assert judged.booking_reference is None


@given(JSON)
def test_any_json_maps_to_items_and_never_raises(document: Any) -> None:
    items = calcom_items(document)
    assert items
    for item in items:
        if isinstance(item.judged, Mapped):
            as_incoming(item.judged)


@given(st.data())
def test_any_json_inside_a_documented_delivery_never_raises(data: st.DataObject) -> None:
    names = ["booking_created", "booking_rescheduled", "booking_cancelled"]
    name = data.draw(st.sampled_from([*names, "booking_no_show_updated"]))
    document = copy.deepcopy(payload("calcom", name))
    key = data.draw(st.sampled_from(sorted(document["payload"])))
    document["payload"][key] = data.draw(JSON)
    for item in calcom_items(document):
        if isinstance(item.judged, Mapped):
            as_incoming(item.judged)
        else:
            assert isinstance(item.judged, Skipped)
            assert item.judged.reason


def test_each_booking_trigger_names_the_bookers_booking_it_makes_or_follows() -> None:
    created = only(payload("calcom", "booking_created")).judged
    moved = only(payload("calcom", "booking_rescheduled")).judged
    canceled = only(payload("calcom", "booking_cancelled")).judged
    [no_show] = calcom_items(payload("calcom", "booking_no_show_updated"))

    def key(uid: str, email: str) -> str:
        return f"calcom:{uid}:{email_sha256(email)}"

    guest = "guest@example.com"
    assert isinstance(created, Mapped)
    assert (created.books, created.follows) == (key("unique-booking-id", guest), None)
    assert isinstance(moved, Mapped)
    assert moved.books == key("new-booking-unique-id", guest)
    assert moved.follows == key("unique-booking-id", guest)
    assert isinstance(canceled, Mapped)
    assert canceled.books is None
    assert canceled.follows == key("unique-booking-identifier", guest)
    assert isinstance(no_show.judged, Mapped)
    assert no_show.judged.follows == key("5vQFqxDFMjdgKGMijqtqRw", "test@example.com")
