"""Lead Ads: the `leadgen` notification, and the Graph API's lead it leads to (pure).

The notification carries only ids, so it becomes a `LeadToFetch`; once the Graph API has
answered `GET /{leadgen-id}`, `lead_as_incoming` makes the LEAD_QUALIFIED from its
`field_data`, the way `/api/hooks/capi/lead` does for a relayed lead.
"""

from __future__ import annotations

from typing import Any, Final

from crm_schemas.catalog import EventName
from crm_schemas.contact import Source

from .items import Addressee, Connector, Item, LeadToFetch, ProviderIdKind, SkipOutcome, Skipped
from .meta_fields import instant_from_seconds, objects, rejected, text, text_id

LEAD_ADS: Final = Connector.LEAD_ADS
# Graph API fields of a lead that say where it came from, kept beside the answers.
AD_FIELDS: Final = ("ad_id", "adset_id", "campaign_id", "form_id", "platform")


def leadgen_items(where: str, entry: dict[str, Any], entry_id: str | None) -> list[Item]:
    """Every `changes[]` item of a page entry: a lead to fetch, or an ignored page change."""
    changes = entry.get("changes")
    if not isinstance(changes, list):
        return [rejected(LEAD_ADS, f"{where}.changes", f"{where}.changes is not a list")]
    items: list[Item] = []
    for index, raw in enumerate(changes):
        place = f"{where}.changes[{index}]"
        change = objects(raw)
        if change is None:
            items.append(rejected(LEAD_ADS, place, f"{place} is not an object"))
        elif change.get("field") != "leadgen":
            field = (text(change.get("field")) or "without a field")[:64]
            skipped = Skipped(SkipOutcome.IGNORED, f"page change {field}")
            items.append(Item(LEAD_ADS, place, None, skipped))
        else:
            items.append(_lead_item(place, change.get("value"), entry_id))
    return items


def _lead_item(place: str, raw: Any, entry_id: str | None) -> Item:
    value = objects(raw)
    if value is None:
        return rejected(LEAD_ADS, place, f"{place}.value is not an object")
    leadgen_id = text_id(value.get("leadgen_id"))
    if leadgen_id is None:
        return rejected(LEAD_ADS, place, f"{place}.value.leadgen_id is missing or not an id")
    page_id = text_id(value.get("page_id")) or entry_id
    if page_id is None:
        return rejected(LEAD_ADS, leadgen_id, f"{place}.value.page_id is missing or not an id")
    created_time = instant_from_seconds(value.get("created_time"))
    if created_time is None:
        reason = f"{place}.value.created_time is missing or not a time in seconds"
        return rejected(LEAD_ADS, leadgen_id, reason)
    lead = LeadToFetch(leadgen_id, page_id, text_id(value.get("form_id")), created_time)
    return Item(LEAD_ADS, leadgen_id, Addressee(ProviderIdKind.PAGE, page_id), lead)


def lead_as_incoming(
    lead: LeadToFetch, answer: Any, why_question: str | None
) -> dict[str, Any] | Skipped:
    """The Graph API's lead as a LEAD_QUALIFIED envelope (without account_id), or why not.

    Each `field_data` answer is kept under its name (one value as the string, several as the
    list); `email`, `phone_number` and `full_name` (else `first_name` and `last_name`) are the
    contact, normalized by the core like any event's; the account's `why_question` answer is
    the prospect's Why."""
    fields = _answers(answer, lead.leadgen_id)
    if isinstance(fields, Skipped):
        return fields
    answers = {name: values[0] if len(values) == 1 else values for name, values in fields.items()}
    email, phone = _first(fields, "email"), _first(fields, "phone_number")
    if email is None and phone is None:
        return Skipped(SkipOutcome.REJECTED, "the lead's field_data has no email or phone_number")
    parts = (_first(fields, "first_name"), _first(fields, "last_name"))
    joined = " ".join(part for part in parts if part)
    name = _first(fields, "full_name") or joined or None
    why = fields.get(why_question) if why_question else None
    properties: dict[str, Any] = {
        "prospect_why": ", ".join(why) if why else None,
        "answers": answers or None,
    }
    for key in AD_FIELDS:
        properties[key] = text_id(answer.get(key))
    return {
        "event_name": EventName.LEAD_QUALIFIED.value,
        "event_id": f"leadgen:{lead.leadgen_id}",
        "timestamp": lead.created_time,
        "source": Source.ADS.value,
        "contact": _without_none({"email": email, "phone": phone, "name": name}),
        "properties": _without_none(properties),
    }


def _answers(answer: Any, leadgen_id: str) -> dict[str, list[str]] | Skipped:
    """field_data as name -> values, or the reason it cannot be read."""
    if not isinstance(answer, dict):
        return Skipped(SkipOutcome.REJECTED, "the Graph API's lead is not an object")
    error = answer.get("error")
    if error is not None:
        message = text(error.get("message")) if isinstance(error, dict) else None
        reason = f"the Graph API answered an error: {(message or 'without a message')[:200]}"
        return Skipped(SkipOutcome.REJECTED, reason)
    if "id" in answer and text_id(answer["id"]) != leadgen_id:
        return Skipped(SkipOutcome.REJECTED, "the Graph API's lead has another id")
    field_data = answer.get("field_data")
    if not isinstance(field_data, list):
        return Skipped(SkipOutcome.REJECTED, "the Graph API's lead has no field_data list")
    fields: dict[str, list[str]] = {}
    for index, field in enumerate(field_data):
        name = text(field.get("name")) if isinstance(field, dict) else None
        values = field.get("values") if isinstance(field, dict) else None
        if not name:
            return Skipped(SkipOutcome.REJECTED, f"field_data[{index}].name is missing")
        if not isinstance(values, list) or not all(isinstance(one, str) for one in values):
            reason = f"field_data[{index}].values is not a list of strings"
            return Skipped(SkipOutcome.REJECTED, reason)
        fields[name] = values
    return fields


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values and values[0].strip() else None


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
