"""docs/domain.md's scenarios as figures, what counts as a follow-up, the ticker's sentences."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crm_schemas.envelope import EventEnvelope
from crm_stats.policy.dmo import DmoTargets
from crm_stats.policy.figures import stats_figures
from crm_stats.policy.milestones import Tally, tally_of
from crm_stats.policy.periods import PeriodName, resolve_period
from crm_stats.policy.ticker import shows_on_ticker, ticker_item

from .ledger import Ledger
from .scripted_week import at, booked, event, reminder

UTC_ZONE = ZoneInfo("UTC")
T = at(20, 9)


def figures_between(
    events: list[EventEnvelope], start: datetime, end: datetime, as_of: datetime
) -> dict[str, Any]:
    ledger = Ledger(UTC_ZONE, DmoTargets(20, 30))
    ledger.apply_all(events)
    period = resolve_period(PeriodName.CUSTOM, as_of, UTC_ZONE, start, end)
    return stats_figures(ledger.inputs(period, as_of, 3600), None).model_dump(
        mode="json", by_alias=True
    )


def test_s_noshow_counts_one_no_show_sent_five_times() -> None:
    c = uuid.uuid4()
    no_show = event("NO_SHOW", c, T + timedelta(days=1, minutes=15), event_id="ns-1")
    events = [
        event("DM_STARTED", c, T),
        event("INVITE_SENT", c, T + timedelta(hours=1)),
        booked(c, T + timedelta(hours=2)),
        *[no_show] * 5,
    ]
    counts = figures_between(events, T, T + timedelta(days=2), T + timedelta(days=2))["counts"]
    assert (counts["no_shows"], counts["meetings_booked"], counts["invites_sent"]) == (1, 1, 1)


def test_s2_signed_up_and_one_follow_up() -> None:
    c = uuid.uuid4()
    events = [
        event("LEAD_QUALIFIED", c, T, {"prospect_why": "time freedom"}),
        event("FOLLOW_UP_DONE", c, T + timedelta(hours=1, minutes=1)),
        event("JOINED_TEAM", c, T + timedelta(hours=1, minutes=2)),
        # The rules service completes the open reminder by the FOLLOW_UP_DONE: not counted again.
        reminder(
            "REMINDER_COMPLETED",
            c,
            T + timedelta(hours=1, minutes=1),
            T,
            "follow_up_48h",
            completed_by="follow_up_done",
        ),
    ]
    as_of = T + timedelta(hours=1, minutes=2)
    figures = figures_between(events, T - timedelta(days=1), T + timedelta(days=1), as_of)
    assert figures["counts"]["signed_up"] == 1
    assert figures["counts"]["follow_ups_done"] == 1
    assert figures["funnel"]["signed_up"] == 1


@pytest.mark.parametrize(
    ("kind", "completed_by", "tally"),
    [
        ("follow_up_24h", "person", Tally.FOLLOW_UPS),
        ("follow_up_7d", "person", Tally.FOLLOW_UPS),
        ("follow_up_2h", "follow_up_done", None),
        ("custom", "person", None),
    ],
)
def test_a_completed_reminder_is_a_follow_up_only_when_a_person_did_one(
    kind: str, completed_by: str, tally: Tally | None
) -> None:
    done = reminder("REMINDER_COMPLETED", uuid.uuid4(), T, T, kind, completed_by=completed_by)
    assert tally_of(done) is tally


def test_ticker_sentences_in_the_accounts_time() -> None:
    c = uuid.uuid4()
    oslo = ZoneInfo("Europe/Oslo")
    meeting = event("MEETING_BOOKED", c, T, {"booking_time": at(3, 13, month=11)})
    item = ticker_item(meeting, "Kari", oslo)
    assert item["text"] == "Kari booked a meeting for Tue 3 Nov 14:00"
    assert item["kind"] == "event"
    assert item["at"] == "2026-10-20T09:00:00Z"
    assert item["customer_id"] == str(c)
    bought = event("PURCHASED", c, T, {"amount": "49.90", "currency": "EUR", "product_ids": []})
    assert ticker_item(bought, None, oslo)["text"] == "a customer bought for 49.90 EUR"
    due = reminder("REMINDER_DUE", c, T, T, "follow_up_2h")
    assert ticker_item(due, "Ola", oslo) | {"data": None} == {
        "kind": "reminder_due",
        "at": "2026-10-20T09:00:00Z",
        "customer_id": str(c),
        "text": "Reminder due for Ola: follow up 2h",
        "data": None,
    }
    prompt = event(
        "COACHING_PROMPT", None, T, {"text": "7 invites left today", "kind": "invites_left"}
    )
    assert ticker_item(prompt, None, oslo)["text"] == "7 invites left today"
    assert ticker_item(prompt, None, oslo)["kind"] == "coaching"
    assert not shows_on_ticker(event("INVITE_SENT", c, T))
    assert not shows_on_ticker(event("REMINDER_CREATED", c, T, due.properties))
