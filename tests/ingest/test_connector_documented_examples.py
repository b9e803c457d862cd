"""Every documented example of the providers (connector_payloads/), signed as the provider
signs it and posted to its route: the events of docs/connectors.md on the topic, and each
item in the deliveries log as `accepted` or `ignored`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from .connector_fixtures import payload
from .connector_support import META_SETTINGS, post_calcom, post_calendly, post_meta
from .support import Ingest

DUPLICATE = "duplicate"
# Each documented example and the events it becomes (nothing: every item ignored).
META = {
    "instagram_message": ["DM_STARTED"],
    "messenger_message": ["DM_STARTED"],
    # The same person as messenger_message: the thread is open already.
    "messenger_attachment": ["MESSAGE_RECEIVED"],
    "messenger_echo_standby": ["MESSAGE_SENT"],
    "messenger_read": [],
    "messenger_delivery": [],
    "messenger_reaction": [],
    "messenger_postback": [],
    "whatsapp_text": ["DM_STARTED"],
    # Meta's examples give the image the text's message id: a repeat of that message.
    "whatsapp_image": [DUPLICATE],
    "whatsapp_status_sent": ["MESSAGE_SENT"],
    "whatsapp_status_delivered_read": [],
    "whatsapp_status_failed": [],
    "whatsapp_reaction": [],
    "whatsapp_system": [],
}
CALENDLY = {
    "invitee_created": ["MEETING_BOOKED"],
    "invitee_canceled": ["MEETING_CANCELED"],
    "invitee_canceled_rescheduled": [],
    "invitee_no_show_created": ["NO_SHOW"],
    "invitee_no_show_deleted": [],
    "routing_form_submission_created": [],
}
CALCOM = {
    "booking_created": ["MEETING_BOOKED"],
    "booking_rescheduled": ["MEETING_BOOKED"],
    "booking_cancelled": ["MEETING_CANCELED"],
    "booking_no_show_updated": ["NO_SHOW"],
    "booking_no_show_unmarked": [],
    "booking_requested": [],
    "meeting_ended": [],
}


@pytest.fixture
async def ingest(start_ingest: Callable[..., Any]) -> AsyncIterator[Ingest]:
    async with start_ingest(**META_SETTINGS) as running:
        yield running


async def deliver(ingest: Ingest, provider: str, name: str) -> Any:
    body = payload(provider, name)
    if provider == "meta":
        return await post_meta(ingest.client, body)
    if provider == "calendly":
        return await post_calendly(ingest.client, body, at=ingest.clock.now())
    return await post_calcom(ingest.client, body)


@pytest.mark.parametrize(
    ("provider", "examples"), [("meta", META), ("calendly", CALENDLY), ("calcom", CALCOM)]
)
async def test_each_documented_example_gives_its_events_and_log_rows(
    ingest: Ingest, provider: str, examples: dict[str, list[str]]
) -> None:
    for name, expected in examples.items():
        answer = await deliver(ingest, provider, name)
        assert answer.status_code == 200, (name, answer.text)
        results = answer.json()["results"]
        taken = [r for r in results if r["outcome"] != "ignored"]
        assert len(taken) == len(expected), (name, results)
        for result, event_name in zip(taken, expected, strict=True):
            if event_name == DUPLICATE:
                assert result["outcome"] == DUPLICATE, (name, result)
                continue
            assert result["outcome"] == "accepted", (name, result)
            [published] = await ingest.published_with(result["event_id"])
            assert published.envelope.event_name == event_name, name
            assert published.envelope.account_id == "acme"
            assert str(published.envelope.customer_id) == result["customer_id"]
    listed = await ingest.client.get(
        "/api/hooks/deliveries", params={"limit": 500}, headers=ingest.auth()
    )
    outcomes = sorted(item["outcome"] for item in listed.json()["items"])
    expected_all = [name for names in examples.values() for name in names]
    assert outcomes.count("accepted") == len(expected_all) - expected_all.count(DUPLICATE)
    assert outcomes.count(DUPLICATE) == expected_all.count(DUPLICATE)
    assert set(outcomes) <= {"accepted", DUPLICATE, "ignored"}
