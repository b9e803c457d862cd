"""Messenger and Instagram messaging items (`entry[].messaging[]` and `entry[].standby[]`).

A message from a person is a DM (DM_STARTED, turned into MESSAGE_RECEIVED at acceptance when
the thread is already open); an echo (`is_echo`, the page or account writing) is the
marketer's MESSAGE_SENT to the recipient. Reads, deliveries, reactions, postbacks, referrals
and the like are ignored: the CRM does not model them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from crm_schemas.catalog import EventName
from crm_schemas.contact import Source

from .items import Addressee, Connector, Item, Mapped, SkipOutcome, Skipped
from .meta_fields import instant_from_ms, member, objects, rejected, text, text_id

# What a messaging item carries instead of a message, and how the deliveries log names it.
NOT_MODELLED: Final = (
    ("read", "read receipt"),
    ("delivery", "delivery receipt"),
    ("reaction", "reaction"),
    ("postback", "postback"),
    ("referral", "referral"),
    ("optin", "opt-in"),
    ("account_linking", "account linking"),
    ("message_edit", "message edit"),
    ("pass_thread_control", "thread handover"),
    ("take_thread_control", "thread handover"),
    ("request_thread_control", "thread handover"),
    ("policy_enforcement", "policy enforcement"),
)
THREADS: Final = ("messaging", "standby")


def messaging_items(
    where: str, entry: dict[str, Any], connector: Connector, source: Source, addressee: Addressee
) -> list[Item]:
    """Every item of one entry's `messaging[]` and `standby[]`, judged one by one."""
    items: list[Item] = []
    for thread in THREADS:
        if thread not in entry:
            continue
        listed = entry[thread]
        if not isinstance(listed, list):
            items.append(rejected(connector, f"{where}.{thread}", f"{thread} is not a list"))
            continue
        for index, raw in enumerate(listed):
            place = f"{where}.{thread}[{index}]"
            item = objects(raw)
            if item is None:
                items.append(rejected(connector, place, f"{place} is not an object"))
                continue
            judged, provider_id = _judge(item, place, source)
            items.append(Item(connector, provider_id, addressee, judged))
    return items


def _judge(item: dict[str, Any], place: str, source: Source) -> tuple[Mapped | Skipped, str]:
    sender = text_id(member(item.get("sender"), "id"))
    timestamp = instant_from_ms(item.get("timestamp"))
    stable_id = f"{sender or '?'}:{text_id(item.get('timestamp')) or '?'}"
    message = item.get("message")
    if message is None:
        return _not_a_message(item), stable_id
    if not isinstance(message, dict):
        return _refused(f"{place}.message is not an object"), stable_id
    mid = text_id(message.get("mid"))
    if mid is None:
        return _refused(f"{place}.message.mid is missing or not an id"), stable_id
    if timestamp is None:
        return _refused(f"{place}.timestamp is missing or not a time in milliseconds"), mid
    if message.get("is_deleted") is True:
        return Skipped(SkipOutcome.IGNORED, "deleted message"), mid
    if message.get("is_echo") is True:
        recipient = text_id(member(item.get("recipient"), "id"))
        if recipient is None:
            return _refused(f"{place}.recipient.id is missing on an echo"), mid
        return Mapped(_message_sent(mid, timestamp, recipient, source)), mid
    if sender is None:
        return _refused(f"{place}.sender.id is missing: a message with no sender"), mid
    return Mapped(_dm(mid, timestamp, sender, text(message.get("text")), source), is_dm=True), mid


def _not_a_message(item: dict[str, Any]) -> Skipped:
    for key, what in NOT_MODELLED:
        if key in item:
            return Skipped(SkipOutcome.IGNORED, what)
    return Skipped(SkipOutcome.IGNORED, "messaging item that is not a message")


def _refused(reason: str) -> Skipped:
    return Skipped(SkipOutcome.REJECTED, reason)


def _dm(
    mid: str, timestamp: datetime, sender: str, body: str | None, source: Source
) -> dict[str, Any]:
    properties = {"text": body, "sender_id": sender}
    return {
        "event_name": EventName.DM_STARTED.value,
        "event_id": f"meta:{mid}",
        "timestamp": timestamp,
        "user_id": sender,
        "source": source.value,
        "properties": {key: value for key, value in properties.items() if value is not None},
    }


def _message_sent(mid: str, timestamp: datetime, recipient: str, source: Source) -> dict[str, Any]:
    return {
        "event_name": EventName.MESSAGE_SENT.value,
        "event_id": f"meta:{mid}",
        "timestamp": timestamp,
        "user_id": recipient,
        "source": source.value,
        "properties": {"channel": source.value},
    }
