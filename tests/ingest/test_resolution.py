"""Customer resolution decided in memory over what the database said (pure)."""

from __future__ import annotations

import uuid

from crm_ingest.policy.identities import Identity, IdentityKind
from crm_ingest.policy.resolution import DeletedCustomer, Known, UnknownCustomer, Wanted, resolve

EMAIL = Identity(IdentityKind.EMAIL, "kari@example.com")
PHONE = Identity(IdentityKind.PHONE, "+4741234567")
HANDLE = Identity(IdentityKind.HANDLE, "ig:kari")


def test_the_highest_priority_linked_identity_decides_and_the_rest_stay() -> None:
    kari, ola = uuid.uuid4(), uuid.uuid4()
    known = Known(deleted=set(), owners={}, linked={EMAIL: kari, PHONE: ola})
    resolution = resolve("acme", [Wanted(None, [EMAIL, PHONE, HANDLE])], known)
    assert resolution.resolved == [kari]
    assert resolution.links == {HANDLE: kari}  # the phone stays with Ola
    assert resolution.conflicts == 1
    assert resolution.created == []


def test_events_of_one_request_sharing_a_new_identity_are_one_new_customer() -> None:
    created = uuid.uuid4()
    known = Known(deleted=set(), owners={}, linked={})
    resolution = resolve(
        "acme", [Wanted(None, [EMAIL]), Wanted(None, [EMAIL, HANDLE])], known, lambda: created
    )
    assert resolution.resolved == [created, created]
    assert resolution.created == [created]
    assert resolution.links == {EMAIL: created, HANDLE: created}


def test_a_given_customer_is_taken_unless_deleted_or_another_accounts() -> None:
    mine, deleted, theirs = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    known = Known(deleted={deleted}, owners={mine: "acme", theirs: "beta"}, linked={})
    resolution = resolve(
        "acme", [Wanted(mine, [EMAIL]), Wanted(deleted, []), Wanted(theirs, [HANDLE])], known
    )
    first, second, third = resolution.resolved
    assert first == mine
    assert isinstance(second, DeletedCustomer)
    assert isinstance(third, UnknownCustomer)
    assert resolution.links == {EMAIL: mine}


def test_a_booking_reference_to_a_live_customer_comes_before_the_identities() -> None:
    invited, holder = uuid.uuid4(), uuid.uuid4()
    known = Known(
        deleted=set(), owners={}, linked={PHONE: holder}, live_references=frozenset({invited})
    )
    resolution = resolve("acme", [Wanted(None, [EMAIL, PHONE], reference=invited)], known)
    assert resolution.resolved == [invited]
    # The new email joins the invited customer; the phone stays with whoever holds it.
    assert resolution.links == {EMAIL: invited}
    assert resolution.conflicts == 1


def test_a_reference_ingest_does_not_know_live_is_ignored() -> None:
    stranger, holder = uuid.uuid4(), uuid.uuid4()
    known = Known(deleted=set(), owners={}, linked={EMAIL: holder})
    resolution = resolve("acme", [Wanted(None, [EMAIL], reference=stranger)], known)
    assert resolution.resolved == [holder]
    assert resolution.created == []


def test_a_booking_tools_later_event_follows_its_booking_after_the_reference() -> None:
    booked, holder, invited = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    known = Known(
        deleted=set(),
        owners={},
        linked={EMAIL: holder},
        live_references=frozenset({invited}),
        bookings={"calcom:b1": booked},
    )
    resolution = resolve(
        "acme",
        [
            Wanted(None, [EMAIL], follows="calcom:b1"),
            Wanted(None, [EMAIL], reference=invited, follows="calcom:b1"),
            Wanted(None, [EMAIL], follows="calcom:unknown"),
        ],
        known,
    )
    assert resolution.resolved == [booked, invited, holder]


def test_a_booking_made_in_a_request_is_followed_by_its_later_events_there() -> None:
    invited = uuid.uuid4()
    known = Known(
        deleted=set(), owners={}, linked={}, live_references=frozenset({invited}), held={}
    )
    resolution = resolve(
        "acme",
        [
            Wanted(None, [EMAIL], reference=invited, books="calcom:b1"),
            Wanted(None, [PHONE], follows="calcom:b1", books="calcom:b2"),
            Wanted(None, [HANDLE], follows="calcom:b2"),
        ],
        known,
    )
    assert resolution.resolved == [invited, invited, invited]
    assert resolution.bookings == {"calcom:b1": invited, "calcom:b2": invited}
    assert resolution.created == []
