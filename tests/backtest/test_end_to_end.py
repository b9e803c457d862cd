"""The whole system through the gateway: a 1k-contact backtest with zero mismatches, then
the scenarios S-NoShow, S-Video, S-Inactivity and S1–S4 (docs/domain.md, 'Scenarios').

Skipped only when the services' console scripts are not installed; otherwise a service that
is missing or wrong makes these fail, which is the point.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, load_profiles
from crm_backtest.client import Gateway
from crm_backtest.clock import iso
from crm_backtest.generator import generate
from crm_backtest.run import run_backtest

from .conftest import System
from .e2e_support import (
    SERVICES_INSTALLED,
    Reminders,
    Scenario,
    counts_delta,
    eventually,
    eventually_true,
    hours_ago,
)
from .facts import D, H, M, S

pytestmark = [
    pytest.mark.e2e,
    SERVICES_INSTALLED,
    pytest.mark.timeout(900),
]


async def test_backtest_of_1000_contacts_has_zero_mismatches(
    system: System, tmp_path: Path
) -> None:
    # First in the module, so on a fresh system the accounts hold nothing else yet and every
    # figure (ratios and medians too) is compared exactly.
    profiles = load_profiles(system.state_dir / "accounts.json", list(BACKTEST_ACCOUNT_IDS))
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    # Two accounts of the run's own change their automation settings mid-history; the card
    # stories add imports, identity corrections and contact data arriving in later events.
    history = generate(
        1000, seed=7, anchor=anchor, accounts=profiles, settings_accounts=2, kundekort=True
    )
    output = io.StringIO()
    report = await run_backtest(
        history, system.api, system.credentials, rate=500, catch_up_s=180,
        console=Console(file=output, width=200),
        accounts_file=system.state_dir / "accounts.json",
    )  # fmt: skip
    report.write(tmp_path / "backtest.json")
    report.print(Console(file=output, width=200))
    assert report.mismatches == 0, output.getvalue()
    assert report.ok, output.getvalue()


async def test_s_noshow(gateway: Gateway) -> None:
    t = hours_ago(70 * 24)
    s = Scenario(gateway, "demo-ny")
    before = await s.stats(t, t + 2 * D, t + 2 * D)
    await s.dm(t)
    await s.event("INVITE_SENT", t + H)
    await s.event("MEETING_BOOKED", t + 2 * H, properties={"booking_time": iso(t + D)})
    no_show = s.envelope("NO_SHOW", t + D + 15 * M, s.new_id())
    answers = await asyncio.gather(
        *(gateway.request("POST", "/events", s.account, json=no_show) for _ in range(5))
    )
    assert sorted(a.json()["status"] for a in answers) == ["accepted"] + ["duplicate"] * 4
    expected = {
        ("follow_up_2h", t + D + 2 * H + 15 * M, "open"),
        ("follow_up_1d", t + 2 * D + 15 * M, "open"),
        ("follow_up_7d", t + 8 * D + 15 * M, "open"),
    }
    assert await eventually(s.reminders, expected) == expected
    customer = await eventually_true(
        s.customer, lambda c: c.get("booking", {}).get("state") == "no_show"
    )
    assert customer["status"] == "qualified"
    rebook = ("rebook", 90, t + D + 15 * M)
    assert await eventually(lambda: s.nba(t + D + 30 * M), rebook) == rebook
    now_ = ("follow_up_now", 95, t + D + 2 * H + 15 * M)
    assert await eventually(lambda: s.nba(t + D + 3 * H + 16 * M), now_) == now_
    after = await eventually_true(
        lambda: s.stats(t, t + 2 * D, t + 2 * D),
        lambda figures: figures["counts.no_shows"] > before["counts.no_shows"],
    )
    names = ["no_shows", "meetings_booked", "invites_sent"]
    assert counts_delta(before, after, names) == dict.fromkeys(names, 1)


async def test_s_video(gateway: Gateway) -> None:
    t = hours_ago(66 * 24)
    s = Scenario(gateway, "demo-ny")
    await s.dm(t)
    await s.event("VIDEO_SENT", t + 3 * H)
    expected = {
        ("follow_up_24h", t + 27 * H, "open"),
        ("follow_up_48h", t + 51 * H, "open"),
        ("follow_up_7d", t + 3 * H + 7 * D, "open"),
    }
    assert await eventually(s.reminders, expected) == expected
    customer = await eventually_true(s.customer, lambda c: c.get("status") == "presentation_sent")
    assert customer["status"] == "presentation_sent"
    for as_of, want in (
        (t + 27 * H - M, ("request_feedback", 75, t + 51 * H)),
        (t + 27 * H, ("ask_video_feedback", 85, t + 27 * H)),
        (t + 28 * H + S, ("follow_up_now", 95, t + 27 * H)),
    ):
        assert await eventually(lambda a=as_of: s.nba(a), want) == want


async def test_s_inactivity(gateway: Gateway) -> None:
    t = hours_ago(62 * 24)
    s = Scenario(gateway, "demo-ny")
    await s.dm(t)
    first = {("follow_up_7d", t + 7 * D, "open")}
    assert await eventually(s.reminders, first) == first
    await s.event("INVITE_SENT", t + 5 * D)
    moved = {("follow_up_7d", t + 12 * D, "open")}
    assert await eventually(s.reminders, moved) == moved
    reconnect = ("reconnect", 65, t + 12 * D)
    assert await eventually(lambda: s.nba(t + 12 * D + M), reconnect) == reconnect
    overdue = ("follow_up_now", 95, t + 12 * D)
    assert await eventually(lambda: s.nba(t + 12 * D + H + S), overdue) == overdue


async def test_s1_video_then_no_show(gateway: Gateway) -> None:
    t = hours_ago(58 * 24)
    s = Scenario(gateway, "demo-ny")
    await s.dm(t)
    await s.event("INVITE_SENT", t + H)
    await s.event("VIDEO_SENT", t + 2 * H)
    await s.event("NO_SHOW", t + 3 * H)
    expected = {
        ("follow_up_24h", t + 26 * H, "open"),
        ("follow_up_48h", t + 50 * H, "open"),
        ("follow_up_2h", t + 5 * H, "open"),
        ("follow_up_1d", t + 27 * H, "open"),
        ("follow_up_7d", t + 3 * H + 7 * D, "open"),
    }
    assert await eventually(s.reminders, expected) == expected
    customer = await eventually_true(
        s.customer, lambda c: (c.get("status"), c.get("booking", {}).get("state"))
        == ("presentation_sent", "no_show"),
    )  # fmt: skip
    assert (customer["status"], customer["booking"]["state"]) == ("presentation_sent", "no_show")
    rebook = ("rebook", 90, t + 3 * H)
    assert await eventually(lambda: s.nba(t + 3 * H + 30 * M), rebook) == rebook


async def test_s2_person_moves_then_follow_up_and_joined_team(gateway: Gateway) -> None:
    t = datetime.now(UTC).replace(microsecond=0) - H
    s = Scenario(gateway, "demo-tokyo")
    email = f"{s.handle}@example.com"
    lead = {
        "event_id": s.new_id(),
        "account_id": s.account,
        "event_time": int(t.timestamp()),
        "user_data": {"em": email, "fn": "E2E", "ln": "Lead"},
        "lead": {"email": email, "full_name": "E2E Lead", "prospect_why": "Time with my kids"},
    }
    answer = await gateway.webhook("/hooks/capi/lead", lead["event_id"], lead)
    assert answer.status_code == 202, answer.text
    s.customer_id = answer.json()["customer_id"]
    before = await s.stats(t - H, t + 3 * H, t + H + 3 * M)
    await eventually_true(s.customer, lambda c: c.get("status") == "qualified")
    asked = datetime.now(UTC)
    path = f"/customers/{s.customer_id}/next-stage"
    moved = await gateway.request("POST", path, s.account, json={})
    answered = datetime.now(UTC)
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "presentation_sent"
    by_email = {"contact": {"email": email}, "source": "web"}
    follow_up_at = answered.replace(microsecond=0) + M
    await s.event("FOLLOW_UP_DONE", follow_up_at, **by_email)

    def stage_48h(reminders: Reminders, status: str) -> bool:
        return any(
            kind == "follow_up_48h" and state == status
            and asked - S <= at - 48 * H <= answered + S
            for kind, at, state in reminders
        )  # fmt: skip

    await eventually_true(s.customer, lambda c: c.get("status") == "follow_up")
    assert stage_48h(await eventually_true(s.reminders, lambda r: stage_48h(r, "open")), "open")
    await s.event("JOINED_TEAM", follow_up_at + M, **by_email)
    final = await eventually_true(
        s.reminders, lambda r: r and all(state == "canceled" for _, _, state in r)
    )
    assert stage_48h(final, "canceled")
    assert {(kind, state) for kind, _, state in final} == {
        ("follow_up_48h", "canceled"),
        ("follow_up_7d", "canceled"),
    }
    customer = await eventually_true(s.customer, lambda c: c.get("status") == "signed_up")
    assert customer["joined_team"] is True
    as_of = follow_up_at + 2 * M
    after = await eventually_true(
        lambda: s.stats(t - H, t + 3 * H, as_of),
        lambda figures: figures["counts.signed_up"] > before["counts.signed_up"],
    )
    assert counts_delta(before, after, ["signed_up", "follow_ups_done"]) == {
        "signed_up": 1,
        "follow_ups_done": 1,
    }


async def test_s3_no_reminders_while_opted_out_then_again_after_opting_in(
    gateway: Gateway,
) -> None:
    t = hours_ago(54 * 24)
    s = Scenario(gateway, "demo-ny")
    await s.dm(t, consent=False)
    await s.event("INVITE_SENT", t + H)
    await s.event("VIDEO_SENT", t + 2 * H)
    opted_out = await eventually_true(
        s.customer, lambda c: c.get("status") == "presentation_sent" and c.get("opted_out")
    )
    assert opted_out["opted_out"] is True
    recommendation = await eventually_true(lambda: s.nba(t + 3 * H), lambda r: r[0] == "none")
    assert recommendation[:2] == ("none", 0)
    await s.event("MESSAGE_RECEIVED", t + D, consent={"messaging": True})
    # Once the opt-in's reminder shows, everything before it was processed: the only reminder
    # is the inactivity one from the opt-in, nothing from the opted-out invite and video.
    expected = {("follow_up_7d", t + 8 * D, "open")}
    assert await eventually(s.reminders, expected) == expected
    opted_in = await eventually_true(s.customer, lambda c: c.get("opted_out") is False)
    assert opted_in["opted_out"] is False


async def test_s4_one_effect_for_repeated_event_ids_and_idempotency_keys(
    gateway: Gateway,
) -> None:
    t = hours_ago(50 * 24)
    s = Scenario(gateway, "demo-ny")
    before = await s.stats(t, t + D, t + D)
    dm = s.dm_body(t, s.new_id())
    sent = await asyncio.gather(
        *(gateway.webhook("/hooks/dm", dm["event_id"], dm) for _ in range(3))
    )
    assert sorted(r.status_code for r in sent) == [200, 200, 202]
    s.customer_id = sent[0].json()["customer_id"]
    assert {r.json()["customer_id"] for r in sent} == {s.customer_id}
    reply = s.envelope("MESSAGE_SENT", t + 2 * M, s.new_id())
    singles = await asyncio.gather(
        *(gateway.request("POST", "/events", s.account, json=reply) for _ in range(2))
    )
    twice = {"events": [reply, reply]}
    batch = await gateway.request("POST", "/events/batch", s.account, json=twice)
    assert sorted(r.json()["status"] for r in singles) == ["accepted", "duplicate"]
    assert [item["status"] for item in batch.json()["results"]] == ["duplicate", "duplicate"]
    after = await eventually_true(
        lambda: s.stats(t, t + D, t + D),
        lambda f: f["speed_to_lead.answered"] > before["speed_to_lead.answered"],
    )
    assert counts_delta(before, after, ["dms_started", "new_leads"]) == {
        "dms_started": 1,
        "new_leads": 1,
    }
    assert after["speed_to_lead.answered"] - before["speed_to_lead.answered"] == 1
    logged = await gateway.list_all("/events", s.account, customer_id=s.customer_id)
    names = sorted(item.get("event_name") for item in logged if item.get("source") != "system")
    assert names == ["DM_STARTED", "MESSAGE_SENT"]
    email = f"{s.handle}.api@example.com"
    key = {"Idempotency-Key": f"e2e-{s.handle}"}
    body = {"name": "Idem Potent", "email": email}
    created = [
        await gateway.request("POST", "/customers", s.account, json=body, headers=key)
        for _ in range(2)
    ]
    assert [r.status_code for r in created] == [201, 201]
    assert created[0].json()["id"] == created[1].json()["id"]
    found = await gateway.get_json("/customers", s.account, q=email)
    assert [c["id"] for c in found["items"]] == [created[0].json()["id"]]
