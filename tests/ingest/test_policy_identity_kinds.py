"""One value of each kind per customer, a claim's replacement and `linked_identities` (pure)."""

from __future__ import annotations

import uuid

from crm_ingest.policy.identities import (
    Identity,
    IdentityKind,
    linked_identities,
    one_of_each_kind,
    replaced,
)
from crm_ingest.policy.resolution import Known, Wanted, resolve
from crm_schemas.identity import email_sha256, phone_sha256

KARI = "kari@example.com"
OTHER = "kari.other@example.com"
EMAIL = Identity(IdentityKind.EMAIL, KARI)
EMAIL_HASH = Identity(IdentityKind.EMAIL_SHA256, email_sha256(KARI))
OTHER_EMAIL = Identity(IdentityKind.EMAIL, OTHER)
OTHER_HASH = Identity(IdentityKind.EMAIL_SHA256, email_sha256(OTHER))
PHONE = Identity(IdentityKind.PHONE, "+4741234567")
PHONE_HASH = Identity(IdentityKind.PHONE_SHA256, phone_sha256("+4741234567"))
IG = Identity(IdentityKind.HANDLE, "ig:kari")
OTHER_IG = Identity(IdentityKind.HANDLE, "ig:kari2")
WHATSAPP = Identity(IdentityKind.HANDLE, "whatsapp:kari")
PLATFORM_ID = Identity(IdentityKind.PLATFORM_ID, "ig:1789")
OTHER_PLATFORM_ID = Identity(IdentityKind.PLATFORM_ID, "ig:1790")


def test_an_empty_kind_takes_the_value_with_its_hash() -> None:
    linkable = one_of_each_kind([], [EMAIL, EMAIL_HASH, PHONE, PHONE_HASH, IG])
    assert linkable.identities == [EMAIL, PHONE, IG, EMAIL_HASH, PHONE_HASH]
    assert linkable.refused == set()


def test_another_value_of_a_held_kind_is_refused_with_its_hash() -> None:
    linkable = one_of_each_kind([EMAIL, EMAIL_HASH], [OTHER_EMAIL, OTHER_HASH, PHONE, WHATSAPP])
    assert linkable.identities == [PHONE, WHATSAPP]
    assert linkable.refused == {"email"}


def test_the_plain_email_of_a_held_hash_is_the_same_email() -> None:
    linkable = one_of_each_kind([EMAIL_HASH], [EMAIL])
    assert linkable.identities == [EMAIL]
    # A hashed-only email of another hash than the held plain email is another email.
    refused = one_of_each_kind([EMAIL], [OTHER_HASH])
    assert refused.identities == []
    assert refused.refused == {"email"}


def test_a_handle_is_one_per_platform_and_platform_ids_may_be_several() -> None:
    linkable = one_of_each_kind([IG, PLATFORM_ID], [OTHER_IG, WHATSAPP, OTHER_PLATFORM_ID])
    assert linkable.identities == [OTHER_PLATFORM_ID, WHATSAPP]
    assert linkable.refused == {"handle:ig"}


def test_an_event_naming_an_email_and_another_emails_hash_links_the_email() -> None:
    linkable = one_of_each_kind([], [EMAIL, OTHER_HASH])
    assert linkable.identities == [EMAIL]
    assert linkable.refused == {"email"}


def test_resolution_links_no_second_value_and_names_what_the_customer_holds() -> None:
    kari = uuid.uuid4()
    known = Known(
        deleted=set(),
        owners={},
        linked={IG: kari, EMAIL: kari, EMAIL_HASH: kari},
        held={kari: frozenset({IG, EMAIL, EMAIL_HASH})},
    )
    resolution = resolve("acme", [Wanted(None, [OTHER_EMAIL, IG, OTHER_HASH, PHONE])], known)
    assert resolution.resolved == [kari]
    assert resolution.links == {PHONE: kari}
    assert resolution.refused == ["email"]
    assert resolution.holding == [frozenset({IG, PHONE})]


def test_in_one_request_a_later_event_sees_the_value_an_earlier_one_linked() -> None:
    created = uuid.uuid4()
    known = Known(deleted=set(), owners={}, linked={})
    resolution = resolve(
        "acme",
        [Wanted(None, [IG, EMAIL, EMAIL_HASH]), Wanted(None, [IG, OTHER_EMAIL, OTHER_HASH])],
        known,
        lambda: created,
    )
    assert resolution.resolved == [created, created]
    assert set(resolution.links) == {IG, EMAIL, EMAIL_HASH}
    assert resolution.refused == ["email"]
    assert resolution.holding[1] == frozenset({IG})


def test_a_claim_replaces_each_kind_it_names_and_releases_what_it_lists() -> None:
    held = [EMAIL, EMAIL_HASH, PHONE, PHONE_HASH, IG, WHATSAPP, PLATFORM_ID]
    claimed = [OTHER_EMAIL, OTHER_HASH, IG]
    assert replaced(held, claimed, [WHATSAPP]) == {EMAIL, EMAIL_HASH, WHATSAPP}
    # A claim naming no kind releases nothing but what it lists.
    assert replaced(held, [], [PHONE, PHONE_HASH, OTHER_IG]) == {PHONE, PHONE_HASH}
    # The same email again keeps it (and its hash).
    assert replaced(held, [EMAIL, EMAIL_HASH], []) == set()


def test_linked_identities_are_the_plain_values() -> None:
    linked = linked_identities({EMAIL, EMAIL_HASH, PHONE_HASH, IG, PLATFORM_ID})
    assert linked is not None
    assert linked.model_dump(exclude_none=True) == {"email": KARI, "handles": {"ig": "kari"}}
    assert linked_identities({EMAIL_HASH, PLATFORM_ID}) is None
