"""The generator's card stories (generate(..., kundekort=True)): off by default, seeded, and
each kind there as docs/domain.md's Customers and identity describes it."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_backtest.card_stories import IMPORT_TERMS
from crm_backtest.cli import app
from crm_backtest.expectations import ContactExpectation, expect
from crm_backtest.generator import generate
from crm_backtest.history import PERSON_CREATE, PERSON_IDENTITY, Delivery, History
from crm_backtest.pipeline import OPEN_STAGES
from crm_backtest.provider_routes import PROVIDER_ROUTES

ANCHOR = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> History:
    return generate(1000, seed=7, anchor=ANCHOR, kundekort=True)


@pytest.fixture(scope="module")
def expected(history: History) -> dict[str, ContactExpectation]:
    return expect(history).contacts


def sends_of(history: History, contact: str) -> list[Delivery]:
    return [d for d in history.deliveries if d.contact == contact and not d.duplicate]


def test_off_by_default_nothing_of_the_stories_is_in_a_history() -> None:
    plain = generate(300, seed=7, anchor=ANCHOR)
    assert not plain.kundekort
    assert all(contact.story is None for contact in plain.contacts)
    assert all(delivery.route != "person" for delivery in plain.deliveries)
    assert all(delivery.waits_for is None for delivery in plain.deliveries)
    assert all(fact.contact_email is None and fact.term is None for fact in plain.facts)
    assert all(expected.card is None for expected in expect(plain).contacts.values())


def test_same_seed_same_stories_and_they_round_trip_through_json(
    history: History, tmp_path: Path
) -> None:
    again = generate(1000, seed=7, anchor=ANCHOR, kundekort=True)
    assert json.dumps(again.to_json()) == json.dumps(history.to_json())
    history.save(tmp_path / "history.json")
    assert History.load(tmp_path / "history.json").to_json() == history.to_json()
    other = generate(1000, seed=8, anchor=ANCHOR, kundekort=True)
    assert [c.story for c in other.contacts] != [c.story for c in history.contacts]


def test_every_kind_of_story_is_there(
    history: History, expected: dict[str, ContactExpectation]
) -> None:
    stories = Counter(contact.story for contact in history.contacts)
    assert stories["contact_data"] >= 20
    assert stories["corrected"] >= 10
    assert stories["holder"] >= 3
    assert stories["import"] >= 20
    assert all(contact.card is not None for contact in expected.values())


def test_contact_data_comes_in_a_later_event_and_sometimes_a_second_email(
    history: History, expected: dict[str, ContactExpectation]
) -> None:
    by_contact = history.facts_by_contact()
    second_emails = cleared = 0
    for contact in (c for c in history.contacts if c.story == "contact_data"):
        facts = by_contact[contact.key]
        carrying = [f for f in facts if f.contact_email is not None]
        first = carrying[0]
        assert first.name in ("LEAD_QUALIFIED", "MEETING_BOOKED")
        assert first.event_id != facts[0].event_id
        assert first.contact_phone is not None
        assert first.contact_name is not None
        second_emails += len(carrying) > 1
        dm = sends_of(history, contact.key)[0]
        assert dm.route == "dm"
        assert "name" not in dm.body["sender"]  # first seen by handle only
        card = expected[contact.key].card
        assert card is not None
        assert card["email"] == first.contact_email  # never the second one
        assert card["handles"] == {contact.platform: contact.handle}
        person = [d for d in sends_of(history, contact.key) if d.route == "person"]
        if not person:
            assert card["phone"] == first.contact_phone
            assert card["name"] == first.contact_name
            continue
        # A person cleared the phone and named them: an event carrying both again after it
        # changes neither.
        (put,) = person
        assert put.body["json"] == {"phone": None, "name": f"Named {contact.key}"}
        after = sends_of(history, contact.key)[-1]
        assert after.body["contact"]["phone"] == first.contact_phone
        assert after.body["contact"]["name"] == first.contact_name
        assert (card["phone"], card["name"]) == (None, f"Named {contact.key}")
        cleared += 1
    assert second_emails >= 5
    assert cleared >= 5


def test_a_corrected_email_reaches_another_customer_only_after_the_correction(
    history: History, expected: dict[str, ContactExpectation]
) -> None:
    corrected = {c.key: c for c in history.contacts if c.story == "corrected"}
    order = {id(d): i for i, d in enumerate(history.deliveries)}
    held_by_events = held_by_import = hashed = 0
    for key, contact in corrected.items():
        sends = sends_of(history, key)
        put = sends[-1]
        assert put.route == "person"
        assert put.body["method"] == "PUT"
        assert put.body["json"]["email"] != contact.email
        assert sends[:-1]
        assert "person" not in [d.route for d in sends[:-1]]
        card = expected[key].card
        assert card is not None
        assert card["email"] == put.body["json"]["email"]
        holders = [d for d in history.deliveries if d.waits_for == key]
        assert holders
        assert all(order[id(d)] > order[id(put)] for d in holders)
        first = holders[0]
        if first.route == "capi":
            held_by_events += 1
            email = first.body["lead"].get("email") or first.body["user_data"]["em"]
            assert email in (contact.email, _sha(contact.email))
            hashed += email == _sha(contact.email)  # only the old email's SHA-256
        else:
            held_by_import += 1
            assert first.body["method"] == "POST"
            assert first.body["json"]["email"] == contact.email
    assert held_by_events
    assert held_by_import
    assert 0 < hashed < held_by_events


def test_imports_cover_open_stages_booking_terms_signed_up_and_not_now(
    history: History, expected: dict[str, ContactExpectation]
) -> None:
    creations = [f for f in history.facts if f.name == PERSON_CREATE]
    terms = {(f.pipeline, f.term) for f in creations}
    assert len(terms) >= 12
    assert terms <= set(IMPORT_TERMS)
    statuses = {expected[f.contact].pipeline["status"] for f in creations}
    assert statuses & OPEN_STAGES
    assert {"signed_up", "not_now"} <= statuses
    assert "booked" in {expected[f.contact].pipeline["booking"] for f in creations}
    for fact in creations:
        assert fact.at == ANCHOR  # at the request's time, told by the replay
        (send,) = sends_of(history, fact.contact)
        assert send.route == "person"
        assert send.body["json"].get("status") == fact.term


def test_the_stories_keep_the_crm_s_routes_and_timestamp_order(history: History) -> None:
    stories = {c.key for c in history.contacts if c.story is not None}
    at = {fact.event_id: fact.at for fact in history.facts}
    for key in stories:
        sends = sends_of(history, key)
        assert not {d.route for d in sends} & set(PROVIDER_ROUTES)
        # A person's actions are made at the request's time, after every event.
        times = [at[d.event_id] for d in sends if d.route != "person"]
        assert times == sorted(times)


def test_a_person_s_actions_are_sent_once_each_and_never_in_a_batch(history: History) -> None:
    actions = {f.event_id for f in history.facts if f.name in (PERSON_CREATE, PERSON_IDENTITY)}
    people = [d for d in history.deliveries if d.route == "person"]
    assert sorted(d.event_id for d in people) == sorted(actions)
    assert all(d.batch is None and not d.duplicate for d in people)


def _sha(text: str | None) -> str:
    return hashlib.sha256((text or "").encode()).hexdigest()


def test_the_cli_writes_a_history_with_the_stories_only_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    arguments = ["generate", "--contacts", "60", "--seed", "5", "--out", str(out)]
    arguments += ["--state-dir", str(tmp_path)]
    assert CliRunner().invoke(app, arguments).exit_code == 0
    assert not History.load(out).kundekort
    result = CliRunner().invoke(app, [*arguments, "--kundekort"])
    assert result.exit_code == 0, result.output
    stories = History.load(out)
    assert stories.kundekort
    assert {c.story for c in stories.contacts} >= {"import", None}
