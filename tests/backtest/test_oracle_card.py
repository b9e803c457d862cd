"""The oracle on the card stories (docs/domain.md, Customers and identity; Activity; creation
in the vocabularies), expected values written by hand from the page."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from typing import Any

import pytest

from crm_backtest.bodies import body_for
from crm_backtest.card import consent_of, contact_data, expected_card
from crm_backtest.history import PERSON_CREATE, PERSON_IDENTITY, Contact, Delivery, Fact, Route
from crm_backtest.kpis import expected_stats
from crm_backtest.nba import expected_nba
from crm_backtest.pipeline import Pipeline, fold

from .facts import NEW_YORK, D, H, M, Story, T
from .test_oracle_scenarios import reminders

DM = Contact("c1", "demo-ny", "dm", "ig", handle="ada.l", story="contact_data")
LEAD = Contact("c2", "demo-ny", "capi", "ads", email="ada@example.com", story="corrected")
IMPORT = Contact("c3", "demo-ny", "api", "manual", email="imp@example.com", story="import")


def imported(at: datetime, term: str | None, pipeline: str | None = None) -> Story:
    story = Story("c3")
    story.add(PERSON_CREATE, at, contact_email=IMPORT.email, contact_name="Imp", term=term,
              pipeline=pipeline)  # fmt: skip
    return story


def sends(contact: Contact, facts: list[Fact], routes: list[Route]) -> list[Delivery]:
    """The deliveries of the facts by the given routes, as the generator writes them."""
    rng, bookings = random.Random(1), {}
    deliveries: list[Delivery] = []
    for fact, route in zip(facts, routes, strict=True):
        if route == "person":
            body: dict[str, Any] = {"method": "PUT", "json": {"email": fact.contact_email}}
        else:
            body = body_for(fact, contact, route, bookings, rng)
        deliveries.append(Delivery(route, fact.account_id, contact.key, fact.event_id, body))
    return deliveries


@pytest.mark.parametrize(
    ("term", "pipeline", "state"),
    [
        (None, None, Pipeline("lead")),
        ("relationship", None, Pipeline("relationship")),
        ("New", "frazer", Pipeline("lead")),
        ("Booked", "frazer", Pipeline("qualified", "booked")),
        ("Booked", "recruiting", Pipeline("qualified", "booked")),
        ("Video Sent", "frazer", Pipeline("presentation_sent")),
        ("Follow-up", "frazer", Pipeline("follow_up")),
    ],
)
def test_an_import_in_an_open_stage_is_activity_and_nothing_else(
    term: str | None, pipeline: str | None, state: Pipeline
) -> None:
    r = T + 30 * D  # the request time, after every fact of the history
    story = imported(r, term, pipeline)
    assert fold(story.facts)[-1].after == state
    assert reminders(story) == {("follow_up_7d", r + 7 * D, "open")}
    card = expected_card(IMPORT, story.facts, [])
    assert card["last_activity_at"] == "2026-04-01T09:00:00Z"  # r
    stats = expected_stats([story.facts], NEW_YORK, T, r, r - M)
    assert stats["counts"]["new_leads"] == 0  # created at the request time, after the period
    assert not any(stats["counts"].values())
    assert stats["by_status"][state.status] == 1
    assert stats["funnel"]["cohort"] == 0
    assert stats["pipeline_health"] == 1.0


def test_an_imported_lead_is_told_to_start_the_conversation_from_its_creation() -> None:
    r = T + 30 * D
    story = imported(r, None)
    assert expected_nba(story.facts, NEW_YORK, r + H).action == "start_conversation"
    assert expected_nba(story.facts, NEW_YORK, r + H).due_at == r
    # Reconnect once nobody talked to them for 7 days, follow_up_now once the 7d is overdue.
    assert expected_nba(story.facts, NEW_YORK, r + 7 * D).action == "reconnect"
    assert expected_nba(story.facts, NEW_YORK, r + 7 * D + 2 * H).action == "follow_up_now"


def test_an_import_held_in_recruiting_makes_no_presentation_reminder() -> None:
    r = T + 30 * D
    story = imported(r, "Held", "recruiting")
    assert fold(story.facts)[-1].after == Pipeline("presentation_sent", "held")
    assert reminders(story) == {("follow_up_7d", r + 7 * D, "open")}
    action = expected_nba(story.facts, NEW_YORK, r + H)
    assert (action.action, action.due_at) == ("request_feedback", r + 48 * H)


@pytest.mark.parametrize(
    ("term", "pipeline", "state", "action"),
    [
        ("signed_up", None, Pipeline("signed_up"), "onboard"),
        ("Team", "frazer", Pipeline("signed_up", joined_team=True), "onboard"),
        ("Won", "sales", Pipeline("signed_up"), "onboard"),
        ("not_now", None, Pipeline("not_now"), "none"),
        ("Lost", "recruiting", Pipeline("not_now"), "none"),
    ],
)
def test_an_import_at_signed_up_or_not_now_gets_no_reminder_and_no_activity(
    term: str, pipeline: str | None, state: Pipeline, action: str
) -> None:
    r = T + 30 * D
    story = imported(r, term, pipeline)
    assert fold(story.facts)[-1].after == state
    assert reminders(story) == set()
    assert expected_card(IMPORT, story.facts, [])["last_activity_at"] is None
    assert expected_nba(story.facts, NEW_YORK, r + H).action == action
    stats = expected_stats([story.facts], NEW_YORK, T, r + D, r + H)
    assert stats["counts"]["signed_up"] == 0  # no PURCHASED or JOINED_TEAM: not a fact
    assert stats["counts"]["new_leads"] == 1  # created in this period, at the request time


def test_consent_is_the_merge_of_consent_facts_in_timestamp_order_whatever_the_arrival() -> None:
    story = Story()
    story.add("MESSAGE_RECEIVED", T + 2 * D, consent_messaging=True)  # arrives first
    story.add("DM_STARTED", T, consent_messaging=False)
    assert consent_of(story.facts) == {"messaging": True}
    story.add("UNSUBSCRIBED", T + 3 * D)
    assert consent_of(story.facts) == {"messaging": False}
    late = Story()
    late.add("UNSUBSCRIBED", T + D)
    late.add("MESSAGE_RECEIVED", T, consent_messaging=True)  # older: the opt-out stands
    assert consent_of(late.facts) == {"messaging": False}
    assert consent_of(Story().facts) is None


def test_contact_data_from_a_later_event_fills_the_card_and_another_email_does_not() -> None:
    story = Story("c1")
    story.add("DM_STARTED", T)
    story.add("LEAD_QUALIFIED", T + H, contact_email="ada@example.com",
              contact_phone="+447400000001", contact_name="Ada L")  # fmt: skip
    story.add("MEETING_BOOKED", T + 2 * H, booking_time=T + D,
              contact_email="other@example.com", contact_name="Someone Else")  # fmt: skip
    deliveries = sends(DM, story.facts, ["dm", "event", "batch"])
    assert "name" not in deliveries[0].body["sender"]  # first seen by handle only
    assert deliveries[1].body["contact"] == {
        "handles": {"ig": "ada.l"}, "email": "ada@example.com", "phone": "+447400000001",
        "name": "Ada L",
    }  # fmt: skip
    assert contact_data(DM, deliveries) == {
        "email": "ada@example.com",
        "phone": "+447400000001",
        "handles": {"ig": "ada.l"},
        "name": "Ada L",
    }


def test_a_person_s_correction_replaces_the_email_and_an_event_never_refills_it() -> None:
    story = Story("c2")
    story.add("LEAD_QUALIFIED", T)
    story.add("MESSAGE_SENT", T + H)
    story.add(PERSON_IDENTITY, T + 30 * D, contact_email="fixed@example.com")
    story.add("FOLLOW_UP_DONE", T + 2 * H, contact_email="again@example.com")
    deliveries = sends(LEAD, story.facts, ["capi", "event", "person", "event"])
    card = contact_data(LEAD, deliveries)
    assert card == {"email": "fixed@example.com", "phone": None, "handles": {}}  # no name
    # The correction is no pipeline fact and no activity.
    assert fold(story.facts)[-1].after == fold(story.facts[:2])[-1].after
    assert expected_card(LEAD, story.facts, deliveries)["last_activity_at"] == (
        "2026-03-02T11:00:00Z"  # the FOLLOW_UP_DONE
    )


def test_a_lead_form_s_hashed_email_is_filled_by_its_plain_address_later() -> None:
    story = Story("c2")
    story.add("LEAD_QUALIFIED", T)
    story.add("MESSAGE_SENT", T + H)
    hashed = Delivery("capi", "demo-ny", "c2", story.facts[0].event_id, {
        "user_data": {"em": hashlib.sha256(b"ada@example.com").hexdigest()}, "lead": {},
    })  # fmt: skip
    only_hashed = contact_data(LEAD, [hashed])
    assert only_hashed is not None
    assert only_hashed["email"] is None
    later = sends(LEAD, story.facts[1:], ["event"])
    assert contact_data(LEAD, [hashed, *later]) == {
        "email": "ada@example.com", "phone": None, "handles": {},
    }  # fmt: skip


def test_an_import_s_card_shows_what_the_person_gave_and_a_provider_s_send_is_not_predicted() -> (
    None
):
    create = Delivery("person", "demo-ny", "c3", "x1", {
        "method": "POST", "json": {"name": "Imp", "email": "imp@example.com", "status": "lead"},
    })  # fmt: skip
    assert contact_data(IMPORT, [create]) == {
        "email": "imp@example.com", "phone": None, "handles": {}, "name": "Imp",
    }  # fmt: skip
    meta = Delivery("meta", "demo-ny", "c3", "x2", {})
    assert contact_data(IMPORT, [create, meta]) is None
    # A contact of no story: consent and last activity only.
    plain = Contact("c4", "demo-ny", "dm", "ig", handle="bob")
    story = Story("c4")
    story.add("DM_STARTED", T, consent_messaging=True)
    assert expected_card(plain, story.facts, sends(plain, story.facts, ["dm"])) == {
        "consent": {"messaging": True},
        "last_activity_at": "2026-03-02T09:00:00Z",
    }


def test_what_a_person_cleared_or_set_is_never_refilled_by_an_event() -> None:
    story = Story("c1")
    story.add("DM_STARTED", T)
    story.add("LEAD_QUALIFIED", T + H, contact_phone="+447400000001", contact_name="Ada L")
    story.add(PERSON_IDENTITY, T + 30 * D, contact_name="Ada Lovelace")
    story.add("MESSAGE_SENT", T + 2 * H, contact_phone="+447400000001", contact_name="Ada L")
    deliveries = sends(DM, story.facts, ["dm", "event", "person", "event"])
    deliveries[2] = Delivery("person", "demo-ny", "c1", story.facts[2].event_id, {
        "method": "PUT", "json": {"phone": None, "name": "Ada Lovelace"},
    })  # fmt: skip
    assert contact_data(DM, deliveries) == {
        "email": None, "phone": None, "handles": {"ig": "ada.l"}, "name": "Ada Lovelace",
    }  # fmt: skip
