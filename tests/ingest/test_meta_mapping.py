"""Meta's documented Messenger, Instagram and WhatsApp payloads, item by item (pure, no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crm_ingest.policy.connectors.items import (
    Addressee,
    Connector,
    Item,
    Mapped,
    ProviderIdKind,
    SkipOutcome,
    Skipped,
)
from crm_ingest.policy.connectors.meta import meta_items
from crm_schemas.envelope import IncomingEvent

PAYLOADS = Path(__file__).parent / "connector_payloads" / "meta"
PAGE = Addressee(ProviderIdKind.PAGE, "682498302938465")
PSID = "6524447950965389"
WHATSAPP_NUMBER = Addressee(ProviderIdKind.WHATSAPP_PHONE, "106540352242922")
WAMID_TEXT = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
WAMID_SENT = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def only(items: list[Item]) -> Item:
    assert len(items) == 1, items
    return items[0]


def valid(item: Item) -> IncomingEvent:
    """The mapped event is an incoming envelope once the account is added."""
    assert isinstance(item.judged, Mapped), item.judged
    return IncomingEvent.model_validate({**item.judged.event, "account_id": "acme"})


def test_a_messenger_message_is_a_dm_from_its_sender_at_its_time() -> None:
    item = only(meta_items(payload("messenger_message")))
    mid = "mid.1457764197618:41d102a3e1ae206a38"
    assert (item.connector, item.provider_id, item.addressee) == (Connector.MESSENGER, mid, PAGE)
    assert item.judged == Mapped(
        {
            "event_name": "DM_STARTED",
            "event_id": f"meta:{mid}",
            "timestamp": datetime(2016, 3, 23, 0, 25, 52, 478000, tzinfo=UTC),
            "user_id": PSID,
            "source": "messenger",
            "properties": {"text": "hello, world!", "sender_id": PSID},
        },
        is_dm=True,
    )
    assert valid(item).user_id == PSID


def test_an_echo_in_standby_is_the_marketers_message_sent_to_the_recipient() -> None:
    item = only(meta_items(payload("messenger_echo_standby")))
    mid = "qT7ywaKpO9kkQR7Gv-nM8LIfLZDamVrALniheUYEDdHJXjDXEAyaS1xxONzb2Iv-DFzmTihfWJV012P5pK0AhQ"
    # The page is the addressee (entry.id), not the echo's recipient, who is the person.
    assert (item.connector, item.provider_id, item.addressee) == (Connector.MESSENGER, mid, PAGE)
    assert item.judged == Mapped(
        {
            "event_name": "MESSAGE_SENT",
            "event_id": f"meta:{mid}",
            "timestamp": datetime(2019, 10, 2, 21, 52, 50, 673000, tzinfo=UTC),
            "user_id": PSID,
            "source": "messenger",
            "properties": {"channel": "messenger"},
        }
    )
    assert valid(item).properties == {"channel": "messenger"}


def test_a_messenger_attachment_is_a_dm_without_text() -> None:
    item = only(meta_items(payload("messenger_attachment")))
    assert item.provider_id == "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"
    assert isinstance(item.judged, Mapped)
    assert item.judged.is_dm
    assert item.judged.event["properties"] == {"sender_id": PSID}
    assert item.judged.event["timestamp"] == datetime(2018, 2, 12, 23, 46, 35, 308000, tzinfo=UTC)
    assert valid(item).event_id == "meta:mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("messenger_read", "read receipt"),
        ("messenger_delivery", "delivery receipt"),
        ("messenger_reaction", "reaction"),
        ("messenger_postback", "postback"),
    ],
)
def test_what_the_crm_does_not_model_is_ignored_with_its_name(name: str, reason: str) -> None:
    item = only(meta_items(payload(name)))
    assert (item.connector, item.addressee) == (Connector.MESSENGER, PAGE)
    assert item.judged == Skipped(SkipOutcome.IGNORED, reason)
    assert item.provider_id.startswith(f"{PSID}:")


def test_an_instagram_message_is_a_dm_from_ig_addressed_to_the_instagram_account() -> None:
    item = only(meta_items(payload("instagram_message")))
    assert item.connector is Connector.INSTAGRAM
    assert item.addressee == Addressee(ProviderIdKind.INSTAGRAM, "17841400000")
    assert isinstance(item.judged, Mapped)
    assert item.judged.is_dm
    event = item.judged.event
    assert event["event_id"] == f"meta:{item.provider_id}"
    assert (event["source"], event["user_id"]) == ("ig", "1789043210987654")
    assert event["timestamp"] == datetime(2019, 9, 23, 18, 14, 45, 349000, tzinfo=UTC)
    assert event["properties"] == {"text": "Hi! Tell me more", "sender_id": "1789043210987654"}
    assert valid(item).source is not None


def test_a_whatsapp_text_is_a_dm_with_the_phone_and_profile_name() -> None:
    item = only(meta_items(payload("whatsapp_text")))
    assert (item.connector, item.provider_id) == (Connector.WHATSAPP, WAMID_TEXT)
    assert item.addressee == WHATSAPP_NUMBER
    assert item.judged == Mapped(
        {
            "event_name": "DM_STARTED",
            "event_id": f"wa:{WAMID_TEXT}",
            "timestamp": datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC),
            "user_id": "16505551234",
            "source": "whatsapp",
            "contact": {"phone": "+16505551234", "name": "Sheena Nelson"},
            "properties": {"text": "Does it come in another color?", "sender_id": "16505551234"},
        },
        is_dm=True,
    )
    assert valid(item).contact is not None


def test_a_whatsapp_image_keeps_its_caption_as_the_text() -> None:
    item = only(meta_items(payload("whatsapp_image")))
    assert isinstance(item.judged, Mapped)
    assert item.judged.is_dm
    assert item.judged.event["properties"] == {"text": "Taj Mahal", "sender_id": "16505551234"}
    assert item.judged.event["timestamp"] == datetime(2025, 4, 11, 4, 8, 16, tzinfo=UTC)
    assert valid(item).event_id == f"wa:{WAMID_TEXT}"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("whatsapp_reaction", "reaction"), ("whatsapp_system", "system message")],
)
def test_whatsapp_reactions_and_system_messages_are_ignored(name: str, reason: str) -> None:
    item = only(meta_items(payload(name)))
    assert (item.connector, item.addressee) == (Connector.WHATSAPP, WHATSAPP_NUMBER)
    assert item.provider_id == WAMID_SENT
    assert item.judged == Skipped(SkipOutcome.IGNORED, reason)


def test_a_sent_status_is_the_marketers_message_sent_to_the_recipient() -> None:
    item = only(meta_items(payload("whatsapp_status_sent")))
    assert (item.connector, item.addressee) == (Connector.WHATSAPP, WHATSAPP_NUMBER)
    assert item.provider_id == f"{WAMID_SENT}:sent"
    assert item.judged == Mapped(
        {
            "event_name": "MESSAGE_SENT",
            "event_id": f"wa-status:{WAMID_SENT}:sent",
            "timestamp": datetime(2025, 6, 15, 23, 27, 53, tzinfo=UTC),
            "user_id": "16505551234",
            "source": "whatsapp",
            "contact": {"phone": "+16505551234"},
            "properties": {"channel": "whatsapp"},
        }
    )
    assert valid(item).properties == {"channel": "whatsapp"}


def test_delivered_read_and_failed_statuses_are_ignored_each_alone() -> None:
    items = meta_items(payload("whatsapp_status_delivered_read"))
    items += meta_items(payload("whatsapp_status_failed"))
    assert [item.judged for item in items] == [
        Skipped(SkipOutcome.IGNORED, "status delivered"),
        Skipped(SkipOutcome.IGNORED, "status read"),
        Skipped(SkipOutcome.IGNORED, "status failed"),
    ]
    assert [item.provider_id.rsplit(":", 1)[1] for item in items] == ["delivered", "read", "failed"]
    assert {item.addressee for item in items} == {WHATSAPP_NUMBER}


def test_many_entries_and_items_are_judged_one_by_one_in_order() -> None:
    document = payload("messenger_message")
    second_page = payload("messenger_read")["entry"][0] | {"id": "1234"}
    document["entry"][0]["messaging"] += payload("messenger_reaction")["entry"][0]["messaging"]
    document["entry"].append(second_page)
    items = meta_items(document)
    assert [type(item.judged) for item in items] == [Mapped, Skipped, Skipped]
    assert [item.addressee for item in items] == [
        PAGE,
        PAGE,
        Addressee(ProviderIdKind.PAGE, "1234"),
    ]
    assert [getattr(item.judged, "reason", None) for item in items] == [
        None,
        "reaction",
        "read receipt",
    ]


def test_a_whatsapp_change_with_a_message_and_a_status_gives_both() -> None:
    document = payload("whatsapp_text")
    value = document["entry"][0]["changes"][0]["value"]
    value["statuses"] = payload("whatsapp_status_sent")["entry"][0]["changes"][0]["value"][
        "statuses"
    ]
    items = meta_items(document)
    assert [item.provider_id for item in items] == [WAMID_TEXT, f"{WAMID_SENT}:sent"]
    assert [valid(item).event_name.value for item in items] == ["DM_STARTED", "MESSAGE_SENT"]


def test_instagram_changes_and_an_entry_with_nothing_are_ignored_not_dropped() -> None:
    document = payload("instagram_message")
    document["entry"][0]["changes"] = [{"field": "comments", "value": {"id": "1"}}]
    document["entry"].append({"id": "17841400000", "time": 1569262486134})
    items = meta_items(document)
    instagram = Addressee(ProviderIdKind.INSTAGRAM, "17841400000")
    assert [(item.addressee, item.judged) for item in items[1:]] == [
        (instagram, Skipped(SkipOutcome.IGNORED, "instagram change comments")),
        (instagram, Skipped(SkipOutcome.IGNORED, "entry with no messaging, standby or changes")),
    ]
    assert isinstance(items[0].judged, Mapped)
