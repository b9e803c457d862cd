"""WhatsApp Cloud API straight in: messages are DMs with the phone, the marketer's replies come
as `sent` statuses (the Cloud API sends no echoes), the rest is ignored with a reason."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from crm_schemas.catalog import EventName

from . import meta_deliveries as meta
from .connector_support import ACME_WA, META_SETTINGS, post_meta
from .support import T0, Ingest

AT = (T0 - timedelta(minutes=2)).replace(microsecond=0)
WA_ID = "4791234567"


@pytest.fixture
async def ingest(start_ingest: Callable[..., Any]) -> AsyncIterator[Ingest]:
    async with start_ingest(**META_SETTINGS) as running:
        yield running


async def test_a_message_a_sent_status_and_the_ignored_statuses(ingest: Ingest) -> None:
    later = AT + timedelta(seconds=40)
    body = meta.whatsapp(
        ACME_WA,
        AT,
        contacts=[{"profile": {"name": "Kari Nordmann"}, "wa_id": WA_ID}],
        messages=[meta.wa_text(WA_ID, "wamid.HBgLNDc5MTIzNDU2NxUCABIYFjNFQjBDMQ==", AT)],
        statuses=[
            meta.wa_status("wamid.reply1", "sent", WA_ID, later),
            meta.wa_status("wamid.reply1", "delivered", WA_ID, later),
            meta.wa_status("wamid.reply1", "read", WA_ID, later),
        ],
    )
    answer = await post_meta(ingest.client, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcomes"] == {"accepted": 2, "ignored": 2}
    dm = (await ingest.published_with("wa:wamid.HBgLNDc5MTIzNDU2NxUCABIYFjNFQjBDMQ=="))[0].envelope
    assert (dm.event_name, dm.source, dm.account_id) == (EventName.DM_STARTED, "whatsapp", "acme")
    assert dm.timestamp == AT
    assert dm.contact is not None
    assert dm.contact.phone == "+" + WA_ID
    assert dm.contact.name == "Kari Nordmann"
    sent = (await ingest.published_with("wa-status:wamid.reply1:sent"))[0].envelope
    assert sent.event_name is EventName.MESSAGE_SENT
    assert sent.timestamp == later
    # The reply is to the same person: the wa_id is their WhatsApp id and phone.
    assert sent.customer_id == dm.customer_id


async def test_reactions_and_system_messages_are_ignored(ingest: Ingest) -> None:
    reaction = {
        "from": WA_ID,
        "id": "wamid.reaction",
        "timestamp": str(int(AT.timestamp())),
        "type": "reaction",
        "reaction": {"message_id": "wamid.reply1", "emoji": "\U0001f44d"},
    }
    answer = await post_meta(ingest.client, meta.whatsapp(ACME_WA, AT, messages=[reaction]))
    assert answer.status_code == 200
    assert answer.json()["outcomes"] == {"ignored": 1}
    assert await ingest.published() == []
