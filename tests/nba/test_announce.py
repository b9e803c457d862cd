"""What the NBA announces: each event's id, times and producer follow from its cause alone,
so a redelivery, a replica or a restart announces the very same event."""

from __future__ import annotations

import uuid

from crm_nba.announce import (
    coaching_day,
    coaching_prompt,
    nba_changed,
    person_asked,
    time_passed,
)
from crm_nba.policy.projection import project
from crm_nba.policy.table import recommend
from crm_schemas.causes import Cause
from crm_schemas.ids import system_event_id
from crm_schemas.system_properties import CoachingKind, CoachingPrompt
from crm_servicekit.accounts import Account

from .history import H, History, M, T, s_noshow, unchanged

ACME = unchanged(Account(account_id="acme"))
CUSTOMER = uuid.UUID("6f1c3e2a-9d4b-4c8e-a7f1-2b3c4d5e6f70")


def test_a_change_from_an_event_is_named_by_that_event() -> None:
    h = History(CUSTOMER)
    s_noshow(h)
    last = h.events[-1]
    now = T + 5 * H
    recommendation = recommend(project(h.customer, h.events), now, ACME)
    event = nba_changed("acme", CUSTOMER, recommendation, Cause.of_event(last, received_at=now))
    assert event.event_id == str(system_event_id("acme", last.event_id, "NBA_CHANGED"))
    assert (event.cause_event_id, event.timestamp) == (last.event_id, last.timestamp)
    assert (event.received_at, event.producer, event.actor_id) == (now, "nba", None)
    assert (event.account_id, event.customer_id) == ("acme", CUSTOMER)
    assert event.properties["recommendation"]["action"] == recommendation.action


def test_a_change_time_made_is_named_by_the_instant_it_happened() -> None:
    changes_at, now = T + 27 * H, T + 27 * H + 3 * M
    cause = time_passed(CUSTOMER, changes_at, now)
    named = f"nba-timer:{CUSTOMER}:{changes_at.isoformat()}"
    assert (cause.event_id, cause.timestamp, cause.received_at) == (named, changes_at, now)
    recommendation = recommend(project(CUSTOMER, []), now, ACME)
    event = nba_changed("acme", CUSTOMER, recommendation, cause)
    assert event.event_id == str(system_event_id("acme", named, "NBA_CHANGED"))
    assert (event.timestamp, event.received_at, event.actor_id) == (changes_at, now, None)


def test_a_recompute_a_person_asked_for_is_named_by_the_customer_and_the_instant() -> None:
    cause = person_asked(CUSTOMER, T)
    named = f"nba-analyze:{CUSTOMER}:{T.isoformat()}"
    assert (cause.event_id, cause.timestamp, cause.received_at) == (named, T, T)
    event = nba_changed("acme", CUSTOMER, recommend(project(CUSTOMER, []), T, ACME), cause)
    assert event.event_id == str(system_event_id("acme", named, "NBA_CHANGED"))


def test_a_coaching_prompt_is_named_by_its_local_day_and_kind() -> None:
    prompt = CoachingPrompt(
        text="3 invites left today", kind=CoachingKind.INVITES_LEFT, local_date="2026-11-03"
    )
    event = coaching_prompt("acme", prompt, coaching_day("2026-11-03", T))
    expected = system_event_id("acme", "coaching:2026-11-03", "COACHING_PROMPT", "invites_left")
    assert event.event_id == str(expected)
    assert (event.cause_event_id, event.timestamp, event.received_at) == (
        "coaching:2026-11-03",
        T,
        T,
    )
    assert (event.customer_id, event.producer) == (None, "nba")
    assert event.properties == {
        "text": "3 invites left today",
        "kind": "invites_left",
        "local_date": "2026-11-03",
    }
