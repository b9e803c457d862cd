"""WhatsApp Cloud API items (`entry[].changes[]` with field `messages`).

Each `value.messages[]` item a person sent is a DM from its `from` (the wa_id, also their
phone in E.164 once a "+" is put before its digits); reactions, system and unsupported
messages are ignored. The Cloud API sends no echoes, so a `value.statuses[]` item with status
`sent` is the marketer's MESSAGE_SENT; the other statuses are ignored.
"""

from __future__ import annotations

from typing import Any, Final

from crm_schemas.catalog import EventName
from crm_schemas.contact import Source

from .items import Addressee, Connector, Item, Mapped, ProviderIdKind, SkipOutcome, Skipped
from .meta_fields import instant_from_seconds, member, objects, rejected, text, text_id

WHATSAPP: Final = Connector.WHATSAPP
# Message types a person sends to talk to the business.
DM_TYPES: Final = frozenset(
    {"text", "image", "audio", "video", "document", "sticker", "location", "contacts"}
    | {"interactive", "button"}
)
IGNORED_TYPES: Final = {
    "reaction": "reaction",
    "system": "system message",
    "unsupported": "unsupported message",
}
# Media whose `caption` is what the person wrote.
CAPTIONED: Final = ("image", "video", "document")


def whatsapp_items(where: str, entry: dict[str, Any]) -> list[Item]:
    changes = entry.get("changes")
    if not isinstance(changes, list):
        return [rejected(WHATSAPP, f"{where}.changes", f"{where}.changes is not a list")]
    items: list[Item] = []
    for index, raw in enumerate(changes):
        place = f"{where}.changes[{index}]"
        change = objects(raw)
        if change is None:
            items.append(rejected(WHATSAPP, place, f"{place} is not an object"))
        elif change.get("field") != "messages":
            field = (text(change.get("field")) or "without a field")[:64]
            items.append(_ignored(place, None, f"whatsapp change {field}"))
        else:
            items.extend(_value_items(place, change.get("value")))
    return items


def _value_items(place: str, raw: Any) -> list[Item]:
    value = objects(raw)
    if value is None:
        return [rejected(WHATSAPP, place, f"{place}.value is not an object")]
    phone_number_id = text_id(member(value.get("metadata"), "phone_number_id"))
    if phone_number_id is None:
        reason = f"{place}.value.metadata.phone_number_id is missing or not an id"
        return [rejected(WHATSAPP, place, reason)]
    addressee = Addressee(ProviderIdKind.WHATSAPP_PHONE, phone_number_id)
    names = _profile_names(value.get("contacts"))
    items: list[Item] = []
    for key, judge in (("messages", _judge_message), ("statuses", _judge_status)):
        listed = value.get(key, [])
        if not isinstance(listed, list):
            items.append(rejected(WHATSAPP, f"{place}.{key}", f"{place}.value.{key} not a list"))
            continue
        for index, raw_item in enumerate(listed):
            where = f"{place}.value.{key}[{index}]"
            item = objects(raw_item)
            if item is None:
                items.append(rejected(WHATSAPP, where, f"{where} is not an object"))
                continue
            judged, provider_id = judge(item, where, names)
            items.append(Item(WHATSAPP, provider_id, addressee, judged))
    return items


def _profile_names(contacts: Any) -> dict[str, str]:
    """wa_id -> the name on the person's WhatsApp profile."""
    names: dict[str, str] = {}
    for contact in contacts if isinstance(contacts, list) else []:
        wa_id = text_id(member(contact, "wa_id"))
        name = text(member(member(contact, "profile"), "name"))
        if wa_id is not None and name:
            names[wa_id] = name
    return names


def _judge_message(
    message: dict[str, Any], where: str, names: dict[str, str]
) -> tuple[Mapped | Skipped, str]:
    wamid = text_id(message.get("id"))
    if wamid is None:
        return _refused(f"{where}.id is missing or not an id"), where
    kind = text(message.get("type"))
    if kind is None:
        return _refused(f"{where}.type is missing"), wamid
    if kind not in DM_TYPES:
        reason = IGNORED_TYPES.get(kind, f"message type {kind[:64]}")
        return Skipped(SkipOutcome.IGNORED, reason), wamid
    sender = text_id(message.get("from"))
    if sender is None:
        return _refused(f"{where}.from is missing or not an id"), wamid
    timestamp = instant_from_seconds(message.get("timestamp"))
    if timestamp is None:
        return _refused(f"{where}.timestamp is missing or not a time in seconds"), wamid
    properties = {"text": _written(message, kind), "sender_id": sender}
    event = {
        "event_name": EventName.DM_STARTED.value,
        "event_id": f"wa:{wamid}",
        "timestamp": timestamp,
        "user_id": sender,
        "source": Source.WHATSAPP.value,
        "contact": _contact(sender, names.get(sender)),
        "properties": _without_none(properties),
    }
    return Mapped(event, is_dm=True), wamid


def _written(message: dict[str, Any], kind: str) -> str | None:
    """What the person wrote: the text, a media caption, or the text of a tapped button."""
    if kind == "text":
        return text(member(message.get("text"), "body"))
    if kind in CAPTIONED:
        return text(member(message.get(kind), "caption"))
    if kind == "button":
        return text(member(message.get("button"), "text"))
    if kind == "interactive":
        interactive = message.get("interactive")
        reply = member(interactive, "button_reply") or member(interactive, "list_reply")
        return text(member(reply, "title"))
    return None


def _judge_status(
    status: dict[str, Any], where: str, names: dict[str, str]
) -> tuple[Mapped | Skipped, str]:
    message_id = text_id(status.get("id"))
    if message_id is None:
        return _refused(f"{where}.id is missing or not an id"), where
    state = text(status.get("status"))
    if state is None:
        return _refused(f"{where}.status is missing"), message_id
    provider_id = f"{message_id}:{state[:64]}"
    if state != "sent":
        return Skipped(SkipOutcome.IGNORED, f"status {state[:64]}"), provider_id
    if status.get("recipient_type") == "group":
        return Skipped(SkipOutcome.IGNORED, "status of a message to a group"), provider_id
    recipient = text_id(status.get("recipient_id"))
    if recipient is None:
        return _refused(f"{where}.recipient_id is missing or not an id"), provider_id
    timestamp = instant_from_seconds(status.get("timestamp"))
    if timestamp is None:
        return _refused(f"{where}.timestamp is missing or not a time in seconds"), provider_id
    event = {
        "event_name": EventName.MESSAGE_SENT.value,
        "event_id": f"wa-status:{message_id}:sent",
        "timestamp": timestamp,
        "user_id": recipient,
        "source": Source.WHATSAPP.value,
        "contact": _contact(recipient, names.get(recipient)),
        "properties": {"channel": Source.WHATSAPP.value},
    }
    return Mapped(event), provider_id


def _contact(wa_id: str, name: str | None) -> dict[str, Any]:
    """The phone in E.164 from the wa_id's digits (its normalization is the core's)."""
    digits = "".join(one for one in wa_id if one.isascii() and one.isdigit())
    return _without_none({"phone": f"+{digits}" if digits else None, "name": name})


def _ignored(provider_id: str, addressee: Addressee | None, reason: str) -> Item:
    return Item(WHATSAPP, provider_id, addressee, Skipped(SkipOutcome.IGNORED, reason))


def _refused(reason: str) -> Skipped:
    return Skipped(SkipOutcome.REJECTED, reason)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
