"""What changed from the earlier system in stages, vocabularies, bookings, contacts and deals."""

from __future__ import annotations

from pydantic import BaseModel

from crm_devstack.concordance import sources as src
from crm_devstack.concordance.sources import Json, change, domain, legacy, names
from crm_schemas import properties as p
from crm_schemas.catalog import CATALOG
from crm_schemas.contact import Contact
from crm_schemas.fold import REOPENING_FACTS
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.system_properties import CustomerSnapshot
from crm_schemas.vocabulary import (
    VOCABULARY_TERMS,
    UnknownTermError,
    Vocabulary,
    forward,
    parse_booking_state,
    parse_term,
    reverse,
)


def _field(model: type[BaseModel], name: str) -> str:
    """'Model.field', refusing a field the model does not have, so a claim cannot go stale."""
    if name not in model.model_fields:
        raise KeyError(f"{model.__name__} has no field {name!r}")
    return f"{model.__name__}.{name}"


def _shown(term: str, vocabulary: Vocabulary) -> str:
    meaning = forward(term, vocabulary)
    text = f"{term}→{meaning.status.value}"
    if meaning.booking is not BookingState.NONE:
        text += f"+{meaning.booking.value}"
    return text + (" (joined_team)" if meaning.joined_team else "")


def _accepts(term: str, vocabulary: Vocabulary) -> bool:
    try:
        parse_term(term, vocabulary)
    except UnknownTermError:
        return False
    return True


def _canonical_codes() -> Json:
    return change(
        "canonical-status-codes",
        "A customer's stage is stored as one canonical status code, whatever vocabulary is "
        "used to read or write it; terms are views, mapped both ways in status_mapping.json.",
        f"crm_objects.json deal.stage held the pipeline's own term "
        f"({'|'.join(src.LEGACY_DEAL_STAGES)}) beside deal.pipeline",
        f"status codes: {names(s.value for s in Status)}",
        [
            legacy(src.CRM_OBJECTS_JSON, "deal.stage"),
            legacy(src.CRM_OBJECTS_JSON, "deal.pipeline"),
            domain(src.PIPELINE),
            domain(src.VOCABULARIES),
        ],
    )


def _vocabularies() -> list[Json]:
    legacy_terms = {t for terms in src.LEGACY_PIPELINES.values() for t in terms}
    frazer = VOCABULARY_TERMS[Vocabulary.FRAZER]
    new_terms = [t for t in frazer if t not in legacy_terms]
    kept = [
        v
        for v, pipeline in src.PIPELINE_OF_VOCABULARY.items()
        if VOCABULARY_TERMS[Vocabulary(v)] == src.LEGACY_PIPELINES[pipeline]
    ]
    return [
        change(
            "frazer-vocabulary-added",
            f"The frazer vocabulary (Frazer's stages) is added; {names(new_terms)} are terms "
            "no earlier pipeline had.",
            f"pipelines.json: {names(src.LEGACY_PIPELINES)} only",
            f"frazer: {names(frazer)}",
            [legacy(src.PIPELINES_JSON, ""), domain(src.VOCABULARIES)],
        ),
        change(
            "legacy-pipelines-kept",
            f"{names(kept)} keep the terms of pipelines.json in its order.",
            f"pipelines.json: {names(src.LEGACY_PIPELINES)}",
            f"vocabularies: {names(v.value for v in Vocabulary)}",
            [legacy(src.PIPELINES_JSON, name) for name in src.LEGACY_PIPELINES]
            + [domain(src.VOCABULARIES)],
        ),
    ]


def _legacy_lists_disagree() -> Json:
    recruiting = src.LEGACY_PIPELINES["Recruiting"]
    only_deal = [t for t in src.LEGACY_DEAL_STAGES if t not in recruiting]
    only_recruiting = [t for t in recruiting if t not in src.LEGACY_DEAL_STAGES]
    refused = [
        f"{t} in {v.value}"
        for t in ("Won", "Joined")
        for v in Vocabulary
        if v is not Vocabulary.FRAZER and not _accepts(t, v)
    ]
    return change(
        "legacy-stage-lists-disagreed",
        f"The earlier files disagreed: deal.stage lists {names(only_deal)} but not "
        f"{names(only_recruiting)}, which pipelines.json Recruiting lists. Each vocabulary now "
        f"keeps its pipelines.json terms; refused: {names(refused)}.",
        f"deal.stage {'|'.join(src.LEGACY_DEAL_STAGES)}; Recruiting {names(recruiting)}",
        "recruiting and sales as pipelines.json",
        [
            legacy(src.CRM_OBJECTS_JSON, "deal.stage"),
            legacy(src.PIPELINES_JSON, "Recruiting"),
            domain(src.VOCABULARIES),
        ],
    )


def _booking_terms() -> Json:
    seen: dict[str, str] = {}
    for vocabulary in Vocabulary:
        for term in VOCABULARY_TERMS[vocabulary]:
            if forward(term, vocabulary).booking is not BookingState.NONE:
                seen.setdefault(term, _shown(term, vocabulary))
    return change(
        "booking-beside-stage",
        "Terms that named a meeting were stages; now they are a status plus the booking state "
        "beside it, which booking events change without moving the stage.",
        f"deal.stage included {names(seen)}; deal.booking_status beside it",
        names(seen.values()),
        [legacy(src.CRM_OBJECTS_JSON, "deal.stage"), domain(src.PIPELINE), domain(src.MOVING)],
    )


def _booking_status() -> Json:
    mapped = {value: parse_booking_state(value) for value in src.LEGACY_BOOKING_STATUSES}
    fresh = [b.value for b in BookingState if b not in mapped.values()]
    return change(
        "legacy-booking-status",
        f"deal.booking_status values are accepted and mapped; {names(fresh)} is new, and "
        "pending and confirmed are no longer told apart.",
        f"deal.booking_status {'|'.join(src.LEGACY_BOOKING_STATUSES)}",
        names(f"{value}→{state.value}" for value, state in mapped.items()),
        [legacy(src.CRM_OBJECTS_JSON, "deal.booking_status"), domain(src.VOCABULARIES)],
    )


def _signed_up_terms() -> Json:
    signed = [PipelineState(status=Status.SIGNED_UP, joined_team=j) for j in (False, True)]
    shown = {v.value: sorted({reverse(s, v) for s in signed}) for v in Vocabulary}
    return change(
        "won-and-joined-are-signed-up",
        f"Sales {_shown('Won', Vocabulary.SALES)} and Recruiting "
        f"{_shown('Joined', Vocabulary.RECRUITING)} are "
        "both signed_up; only Joined (like frazer Team) sets joined_team. Read back, signed_up "
        f"shows as {names(f'{v} {names(t)}' for v, t in shown.items())}.",
        "Won and Joined were separate final stages of two pipelines",
        "signed_up, with the joined_team flag beside it",
        [
            legacy(src.PIPELINES_JSON, "Sales", "Won"),
            legacy(src.PIPELINES_JSON, "Recruiting", "Joined"),
            domain(src.VOCABULARIES),
        ],
    )


def _lost() -> Json:
    reopening = [n.value for n in CATALOG if n in REOPENING_FACTS]
    return change(
        "lost-is-not-now",
        f"{_shown('Lost', Vocabulary.SALES)}: a side state off the pipeline line, not an end; "
        f"{names(reopening)} re-open the customer at the stage they imply.",
        "Lost was a stage of both pipelines",
        "not_now (Not Now in frazer, Lost in recruiting and sales)",
        [legacy(src.PIPELINES_JSON, "Sales", "Lost"), domain(src.PIPELINE), domain(src.MOVING)],
    )


def _contacts() -> list[Json]:
    renamed = {
        "first_name": _field(CustomerSnapshot, "name"),
        "last_name": _field(CustomerSnapshot, "name"),
        "handle_ig": _field(CustomerSnapshot, "handles") + ".ig",
        "owner_id": "account_id (the account the customer belongs to)",
    }
    own_custom = "custom" in CustomerSnapshot.model_fields
    if not own_custom and CustomerSnapshot.model_config.get("extra") == "allow":
        renamed["custom"] = "extra customer fields (kept beside the model)"
    ours = set(CustomerSnapshot.model_fields) | set(Contact.model_fields)
    kept = [f for f in src.LEGACY_CONTACT_FIELDS if f in ours]
    dropped = [f for f in src.LEGACY_CONTACT_FIELDS if f not in ours and f not in renamed]
    found = [
        change(
            "contact-fields",
            f"Contact fields kept by name: {names(kept)}; renamed: "
            f"{names(f'{old}→{new}' for old, new in renamed.items())}"
            + (f"; not carried: {names(dropped)}." if dropped else "."),
            f"crm_objects.json contact: {names(src.LEGACY_CONTACT_FIELDS)}",
            f"customer: {names(CustomerSnapshot.model_fields)}",
            [legacy(src.CRM_OBJECTS_JSON, "contact"), domain(src.IDENTITY)],
        )
    ]
    if "lifecycle_stage" in dropped:
        found.append(
            change(
                "lifecycle-stage-not-carried",
                "contact.lifecycle_stage is not carried: the pipeline state is the one stage, "
                "folded from the facts, and a second hand-set stage would contradict it. What "
                "its values said that the method needs is there already (customer: signed_up by "
                "PURCHASED; partner: joined_team by JOINED_TEAM; lead: the open stages); "
                "subscriber, mql and sql are marketing grades that no event or rule of the "
                "method sets.",
                f"lifecycle_stage {'|'.join(src.LEGACY_LIFECYCLE_STAGES)}",
                "status, booking, joined_team, opted_out",
                [
                    legacy(src.CRM_OBJECTS_JSON, "contact.lifecycle_stage"),
                    domain(src.PIPELINE),
                    domain(src.MOVING),
                ],
            )
        )
    return found


def _deal() -> Json:
    moved = {
        "pipeline": "the pipeline (vocabulary) a request names",
        "stage": "PipelineState status + booking",
        "amount": _field(p.Purchased, "amount"),
        "currency": _field(p.Purchased, "currency"),
        "product": _field(p.Purchased, "product_ids"),
        "booking_time": f"{_field(p.MeetingBooked, 'booking_time')}, {_field(Booking, 'time')}",
        "booking_status": _field(Booking, "state"),
        "owner_id": "account_id",
        "contact_external_id": _field(Contact, "external_id"),
    }
    dropped = [f for f in src.LEGACY_DEAL_FIELDS if f not in moved]
    return change(
        "no-deal-object",
        "There is no deal: its stage and booking are the customer's pipeline state, its sale is "
        f"a PURCHASED event. Not carried: {names(dropped)}.",
        f"crm_objects.json deal: {names(src.LEGACY_DEAL_FIELDS)}",
        names(f"{old}→{new}" for old, new in moved.items()),
        [legacy(src.CRM_OBJECTS_JSON, "deal"), domain(src.PIPELINE), domain(src.CATALOG)],
    )


def _team_member() -> Json:
    return change(
        "team-member-not-modelled",
        "team_member (upline, coach, rep; territory; calendars) has no counterpart: an account "
        "is one marketer's workspace, and DOMAIN.md defines no team roles.",
        f"crm_objects.json team_member: {names(src.LEGACY_TEAM_MEMBER_FIELDS)}",
        "accounts (one per marketer)",
        [legacy(src.CRM_OBJECTS_JSON, "team_member"), domain(src.ACCOUNTS)],
    )


def pipeline_changes() -> list[Json]:
    return [
        _canonical_codes(),
        *_vocabularies(),
        _legacy_lists_disagree(),
        _booking_terms(),
        _booking_status(),
        _signed_up_terms(),
        _lost(),
        *_contacts(),
        _deal(),
        _team_member(),
    ]
