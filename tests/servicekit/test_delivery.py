"""Delivery: headers read as a consumer needs them, the event name without building a dict."""

from __future__ import annotations

from crm_schemas.topics import message_headers
from crm_servicekit.delivery import Delivery


def test_the_headers_are_read_by_name_and_whole() -> None:
    delivery = Delivery("t", 3, 7, b"k", b"{}", message_headers("VIDEO_SENT", "acme", "ev-1"))
    assert (delivery.event_name, delivery.account_id, delivery.event_id) == (
        "VIDEO_SENT",
        "acme",
        "ev-1",
    )
    assert delivery.decoded_headers == {
        "event_name": "VIDEO_SENT",
        "account_id": "acme",
        "event_id": "ev-1",
    }
    assert delivery.position == "t[3]@7"


def test_missing_or_odd_headers_give_none_or_replacement_characters() -> None:
    bare = Delivery("t", 0, 1, None, b"")
    assert (bare.event_name, bare.account_id, bare.decoded_headers) == (None, None, {})
    odd = Delivery("t", 0, 2, None, b"", (("event_name", b"\xffX"), ("other", b"1")))
    assert odd.event_name == "\ufffdX" == odd.decoded_headers["event_name"]


def test_deliveries_compare_by_their_fields_whether_or_not_headers_were_decoded() -> None:
    headers = tuple(message_headers("VIDEO_SENT", "acme", "ev-1"))
    first, second = (
        Delivery("t", 0, 1, None, b"x", headers),
        Delivery("t", 0, 1, None, b"x", headers),
    )
    assert first.decoded_headers
    assert first == second
    assert hash(first) == hash(second)
