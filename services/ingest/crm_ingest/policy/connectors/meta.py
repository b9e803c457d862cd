"""One Meta webhook delivery, verified and parsed, judged item by item (pure).

One Meta app posts Messenger, Instagram messaging, WhatsApp Cloud API and Lead Ads to the same
URL; the body's `object` says which. Each item says where it was addressed (`entry[].id`, or
WhatsApp's `value.metadata.phone_number_id`; never a body field naming an account), and the
core finds the account that lists that id. No value of the body makes this raise: a broken
part is a rejected item naming the field, and an `object` this does not know yields nothing
(the caller logs and counts the delivery).
"""

from __future__ import annotations

from typing import Any, Final

from crm_schemas.contact import Source

from .items import Addressee, Connector, Item, ProviderIdKind, SkipOutcome, Skipped
from .meta_fields import objects, rejected, text_id
from .meta_leads import leadgen_items
from .meta_messaging import messaging_items
from .meta_whatsapp import whatsapp_items

# object -> the connector of its messages, their source, and the kind of `entry[].id`.
MESSAGING: Final = {
    "page": (Connector.MESSENGER, Source.MESSENGER, ProviderIdKind.PAGE),
    "instagram": (Connector.INSTAGRAM, Source.IG, ProviderIdKind.INSTAGRAM),
}
WHATSAPP_OBJECT: Final = "whatsapp_business_account"


def meta_items(document: Any) -> list[Item]:
    """Every item of a Meta POST body, in the order of the body."""
    kind = document.get("object") if isinstance(document, dict) else None
    if not isinstance(kind, str) or (kind not in MESSAGING and kind != WHATSAPP_OBJECT):
        return []
    connector = Connector.WHATSAPP if kind == WHATSAPP_OBJECT else MESSAGING[kind][0]
    entries = document.get("entry")
    if not isinstance(entries, list):
        return [rejected(connector, "entry", "entry is not a list")]
    items: list[Item] = []
    for index, raw in enumerate(entries):
        where = f"entry[{index}]"
        entry = objects(raw)
        if entry is None:
            items.append(rejected(connector, where, f"{where} is not an object"))
        elif kind == WHATSAPP_OBJECT:
            items.extend(whatsapp_items(where, entry))
        else:
            items.extend(_page_or_instagram_items(kind, where, entry))
    return items


def _page_or_instagram_items(kind: str, where: str, entry: dict[str, Any]) -> list[Item]:
    connector, source, id_kind = MESSAGING[kind]
    entry_id = text_id(entry.get("id"))
    items: list[Item] = []
    if "messaging" in entry or "standby" in entry:
        if entry_id is None:
            items.append(rejected(connector, where, f"{where}.id is missing or not an id"))
        else:
            addressee = Addressee(id_kind, entry_id)
            items.extend(messaging_items(where, entry, connector, source, addressee))
    if "changes" in entry:
        if kind == "page":
            items.extend(leadgen_items(where, entry, entry_id))
        else:
            items.extend(_instagram_changes(where, entry, entry_id))
    if not {"messaging", "standby", "changes"} & entry.keys():
        skipped = Skipped(SkipOutcome.IGNORED, "entry with no messaging, standby or changes")
        addressed = Addressee(id_kind, entry_id) if entry_id else None
        items.append(Item(connector, where, addressed, skipped))
    return items


def _instagram_changes(where: str, entry: dict[str, Any], entry_id: str | None) -> list[Item]:
    """Comments, mentions and the like: not messages, so ignored."""
    changes = entry.get("changes")
    if not isinstance(changes, list):
        return [rejected(Connector.INSTAGRAM, f"{where}.changes", f"{where}.changes is not a list")]
    addressee = Addressee(ProviderIdKind.INSTAGRAM, entry_id) if entry_id else None
    items: list[Item] = []
    for index, change in enumerate(changes):
        field = change.get("field") if isinstance(change, dict) else None
        name = field[:64] if isinstance(field, str) else "without a field"
        skipped = Skipped(SkipOutcome.IGNORED, f"instagram change {name}")
        items.append(Item(Connector.INSTAGRAM, f"{where}.changes[{index}]", addressee, skipped))
    return items
