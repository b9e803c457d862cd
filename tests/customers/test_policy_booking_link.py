"""A scheduling URL with the customer's reference added (pure)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_customers.customers.policy.booking_link import NotASchedulingUrl, with_reference

CUSTOMER = uuid.UUID("5b0f2a48-7c1e-4d5f-9a64-3f1de0b7c2a1")
REFERENCE = f"crm-{CUSTOMER}"


def test_a_bare_calendly_link_gets_both_parameters() -> None:
    link = with_reference("https://calendly.com/acme/intro-call", CUSTOMER)
    assert link == (
        f"https://calendly.com/acme/intro-call?utm_content={REFERENCE}"
        f"&metadata%5Bcrm_ref%5D={REFERENCE}"
    )
    # As the booking page reads it: Cal.com's metadata[crm_ref], Calendly's utm_content.
    assert parse_qs(urlsplit(link).query) == {
        "utm_content": [REFERENCE],
        "metadata[crm_ref]": [REFERENCE],
    }


def test_an_earlier_reference_is_replaced_and_everything_else_kept_as_written() -> None:
    url = (
        "https://cal.com/acme/30min?month=2025-03&utm_content=spring"
        "&metadata[crm_ref]=crm-old&utm_source=ig&name=Kari%20N&flag#top"
    )
    link = with_reference(url, CUSTOMER)
    assert link == (
        "https://cal.com/acme/30min?month=2025-03&utm_source=ig&name=Kari%20N&flag"
        f"&utm_content={REFERENCE}&metadata%5Bcrm_ref%5D={REFERENCE}#top"
    )
    # An encoded name of the same parameter is the same parameter.
    encoded = with_reference("http://cal.com/a?utm%5Fcontent=x&metadata%5Bcrm_ref%5D=y", CUSTOMER)
    assert parse_qs(urlsplit(encoded).query) == {
        "utm_content": [REFERENCE],
        "metadata[crm_ref]": [REFERENCE],
    }


def test_the_host_port_and_path_are_kept() -> None:
    link = with_reference("HTTPS://Example.com:8443/book/me", CUSTOMER)
    assert link.startswith("https://Example.com:8443/book/me?utm_content=")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://calendly.com/acme", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("calendly.com/acme", "http or https"),
        ("//calendly.com/acme", "http or https"),
        ("https://", "host"),
        ("https:///acme", "host"),
        ("https://:443/acme", "host"),
        ("http://[::1/acme", "not a URL"),
        ("https://calendly.com:99999/acme", "not a URL"),
        ("https://calendly.com/acme me", "spaces"),
        ("https://calendly.com/acme\n", "control"),
    ],
)
def test_what_cannot_be_a_scheduling_url_is_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(NotASchedulingUrl, match=why):
        with_reference(url, CUSTOMER)


@given(st.text())
def test_any_text_is_a_link_with_the_reference_or_a_refusal(url: str) -> None:
    try:
        link = with_reference(url, CUSTOMER)
    except NotASchedulingUrl as refusal:
        why = str(refusal)
        assert why, url
        return
    assert parse_qs(urlsplit(link).query)["utm_content"] == [REFERENCE]
