"""The generator: deterministic per seed, realistic mixes, duplicates and disorder as asked."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_backtest.batching import group_batches
from crm_backtest.generator import generate
from crm_backtest.history import Delivery, History

ANCHOR = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> History:
    return generate(1000, seed=7, anchor=ANCHOR)


def test_same_seed_same_history_and_another_seed_another() -> None:
    first = generate(200, seed=11, anchor=ANCHOR).to_json()
    assert json.dumps(first) == json.dumps(generate(200, seed=11, anchor=ANCHOR).to_json())
    assert first["facts"] != generate(200, seed=12, anchor=ANCHOR).to_json()["facts"]


def test_history_round_trips_through_json(history: History, tmp_path: Path) -> None:
    history.save(tmp_path / "history.json")
    assert History.load(tmp_path / "history.json").to_json() == history.to_json()


def test_about_five_percent_are_sent_twice_with_one_event_id(history: History) -> None:
    originals = [d for d in history.deliveries if not d.duplicate]
    copies = [d for d in history.deliveries if d.duplicate]
    assert 0.035 <= len(copies) / len(originals) <= 0.065
    assert len({d.event_id for d in originals}) == len(originals) == len(history.facts)
    by_id = {d.event_id: d for d in originals}
    assert all(by_id[c.event_id].body == c.body for c in copies)
    assert {c.route for c in copies} >= {"dm", "event", "batch"}


def test_some_contacts_get_events_out_of_order(history: History) -> None:
    at = {fact.event_id: fact.at for fact in history.facts}
    sent: dict[str, list[str]] = {}
    for delivery in history.deliveries:
        if not delivery.duplicate:
            sent.setdefault(delivery.contact, []).append(delivery.event_id)
    times = [[at[i] for i in ids] for ids in sent.values()]
    disordered = [line for line in times if line != sorted(line)]
    assert len(disordered) >= 20


def test_every_contact_starts_with_a_webhook_sent_before_its_other_events(
    history: History,
) -> None:
    firsts = {facts[0].event_id for facts in history.facts_by_contact().values() if facts}
    seen: set[str] = set()
    for delivery in history.deliveries:
        if delivery.contact not in seen:
            assert delivery.event_id in firsts
            assert delivery.route in ("dm", "capi", "meta")
            seen.add(delivery.contact)


def test_the_mix_is_varied(history: History) -> None:
    names = Counter(fact.name for fact in history.facts)
    for name in (
        "DM_STARTED", "MESSAGE_SENT", "MESSAGE_RECEIVED", "INVITE_SENT", "LEAD_QUALIFIED",
        "VIDEO_SENT", "MEETING_BOOKED", "MEETING_HELD", "NO_SHOW", "FOLLOW_UP_DONE",
        "PURCHASED", "JOINED_TEAM", "UNSUBSCRIBED",
    ):  # fmt: skip
        assert names[name] > 5, name
    opt_ins = [f for f in history.facts if f.consent_messaging is True]
    opt_outs = [f for f in history.facts if f.consent_messaging is False]
    assert opt_ins
    assert opt_outs
    assert Counter(d.route for d in history.deliveries).keys() == {
        "dm", "capi", "event", "batch", "meta", "calendly", "calcom",
    }  # fmt: skip
    assert len({c.account_id for c in history.contacts}) == 3
    assert len({p.time_zone for p in history.accounts}) == 3
    assert len({c.platform for c in history.contacts}) == 4  # ig, messenger, whatsapp, ads
    campaigns = {c.utm["campaign"] for c in history.contacts if c.utm}
    assert len(campaigns) >= 4
    rebooked = [
        facts for facts in history.facts_by_contact().values()
        if [f.name for f in facts].count("MEETING_BOOKED") > 1
    ]  # fmt: skip
    assert rebooked


def test_everything_happens_before_the_anchor_in_whole_seconds(history: History) -> None:
    assert all(fact.at < ANCHOR and fact.at.microsecond == 0 for fact in history.facts)


def test_batches_are_contiguous_and_bounded(history: History) -> None:
    sizes = Counter(d.batch for d in history.deliveries if d.batch is not None)
    assert sizes
    assert max(sizes.values()) <= 100
    runs = [d.batch for d in history.deliveries]
    seen_closed: set[int] = set()
    previous = None
    for batch in runs:
        if batch != previous and previous is not None:
            seen_closed.add(previous)
        assert batch is None or batch not in seen_closed  # a batch is sent in one piece
        previous = batch


def test_a_batch_holds_one_account(history: History) -> None:
    accounts: dict[int, set[str]] = {}
    for delivery in history.deliveries:
        if delivery.batch is not None:
            accounts.setdefault(delivery.batch, set()).add(delivery.account_id)
    assert all(len(names) == 1 for names in accounts.values())


def test_batching_keeps_each_contacts_send_order(history: History) -> None:
    unbatched = [replace(d, route="batch", batch=None) for d in history.deliveries]
    rebatched = group_batches(unbatched, size=7)

    def per_contact(deliveries: list[Delivery]) -> dict[str, list[tuple[str, bool]]]:
        order: dict[str, list[tuple[str, bool]]] = {}
        for d in deliveries:
            order.setdefault(d.contact, []).append((d.event_id, d.duplicate))
        return order

    assert per_contact(rebatched) == per_contact(unbatched)
    assert len({d.batch for d in rebatched}) > len(unbatched) / 7
