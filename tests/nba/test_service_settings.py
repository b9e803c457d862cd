"""The running NBA under an account's changing settings: ACCOUNT_SETTINGS_CHANGED recorded
from the topic, the grace and targets in force at as_of, and a change recomputing the
customers whose answer the grace decides."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from crm_schemas.account_settings import SEED_ACTOR, AutomationSettings
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope

from .conftest import RunningNba
from .history import D, H, History, M, T
from .kafka_io import eventually

pytestmark = pytest.mark.integration


def settings_changed(
    at: datetime, patch: dict[str, Any], actor: str = "user-1", account: str = "acme"
) -> EventEnvelope:
    """What the customers service announces: the whole settings after the change, keyed by
    the account and stamped with the change's effective_from."""
    settings = AutomationSettings().merged(patch)
    return EventEnvelope(
        event_name=EventName.ACCOUNT_SETTINGS_CHANGED,
        event_id=f"settings:{account}:{uuid.uuid4()}",
        timestamp=at,
        account_id=account,
        source=Source.SYSTEM,
        properties={"settings": settings.model_dump(mode="json"), "actor": actor},
        received_at=at,
        producer="customers",
    )


SEED = settings_changed(T - 10 * D, {}, actor=SEED_ACTOR)


async def test_a_shorter_grace_recomputes_a_customer_with_an_open_reminder(
    nba: RunningNba,
) -> None:
    h = History()
    h.add("DM_STARTED", T - 3 * H)
    reminder = uuid.uuid4()
    h.reminder("REMINDER_CREATED", T - 2 * H, reminder, "follow_up_2h", T - 30 * M)
    await nba.send([SEED, *h.events])
    # Thirty minutes late is within the seed's grace of an hour.
    stored = await eventually(
        lambda: nba.sql("SELECT action FROM nba_customers WHERE customer_id = $1", h.customer),
        lambda rows: len(rows) == 1,
    )
    assert stored[0]["action"] == "invite"
    change = settings_changed(T - 20 * M, {"overdue_grace": "PT0S"})
    await nba.send([change])
    stored = await eventually(
        lambda: nba.sql("SELECT action FROM nba_customers WHERE customer_id = $1", h.customer),
        lambda rows: rows[0]["action"] == "follow_up_now",
    )
    announced = await eventually(
        lambda: nba.emitted("NBA_CHANGED"),
        lambda found: any(
            e.customer_id == h.customer
            and e.properties["recommendation"]["action"] == "follow_up_now"
            for e in found
        ),
    )
    overdue = [e for e in announced if e.properties["recommendation"]["action"] == "follow_up_now"]
    assert overdue[0].properties["recommendation"]["facts"]["reminder_id"] == str(reminder)
    # Before the change the seed's grace held; from it on, none.
    assert (await nba.nba_of(h.customer, as_of=T - 25 * M))["action"] == "invite"
    assert (await nba.nba_of(h.customer, as_of=T - 20 * M))["action"] == "follow_up_now"


async def test_coaching_uses_the_targets_in_force_at_as_of(nba: RunningNba) -> None:
    h = History()
    invites = [h.add("INVITE_SENT", T - 2 * H + n * M) for n in range(6)]
    # T is 14:00 in Oslo; from 18:00 the invites target is 5.
    lowered = settings_changed(T + 4 * H, {"dmo_targets": {"invites": 5}})
    await nba.send([SEED, *invites, lowered])

    async def coaching(as_of: datetime) -> dict[str, str]:
        body = (await nba.get("/api/coaching", as_of=as_of.isoformat())).json()
        return {item["kind"]: item["text"] for item in body["items"]}

    # The change and the invites travel on different partitions: wait for both.
    await eventually(
        lambda: nba.sql(
            "SELECT (SELECT count(*) FROM account_settings_history) AS changes,"
            " (SELECT count(*) FROM nba_dmo_events) AS invites"
        ),
        lambda rows: (rows[0]["changes"], rows[0]["invites"]) == (2, 6),
    )
    after = await coaching(T + 5 * H)
    assert after == {"follow_ups_left": "30 follow-ups left today"}
    before = await coaching(T + 3 * H)
    assert before["invites_left"] == "14 invites left today"
    a_day_before = await coaching(T - D + 5 * H)
    assert a_day_before["invites_left"] == "20 invites left today"


async def test_a_streak_under_zero_targets_starts_at_the_accounts_first_event(
    nba: RunningNba,
) -> None:
    zero = settings_changed(
        T - 10 * D, {"dmo_targets": {"invites": 0, "follow_ups": 0}}, actor=SEED_ACTOR
    )
    # T is 14:00 in Oslo; from 08:00 that day the targets are 5 and 5.
    raised = settings_changed(T - 6 * H, {"dmo_targets": {"invites": 5, "follow_ups": 5}})
    h = History()
    h.add("DM_STARTED", T - 4 * D)
    h.add("INVITE_SENT", T - H)
    await nba.send([zero, raised, *h.events])
    await eventually(
        lambda: nba.sql(
            "SELECT (SELECT count(*) FROM account_settings_history) AS changes,"
            " (SELECT count(*) FROM nba_dmo_events) AS invites,"
            " (SELECT count(*) FROM nba_account_first_event) AS accounts"
        ),
        lambda rows: (rows[0]["changes"], rows[0]["invites"], rows[0]["accounts"]) == (2, 1, 1),
    )
    body = (await nba.get("/api/coaching", as_of=(T + 5 * H).isoformat())).json()
    prompts = {item["kind"]: item["text"] for item in body["items"]}
    # The four days from the first event to yesterday were met under targets of 0; none
    # before it counts, though targets of 0 were in force for ten days.
    assert prompts["streak_at_risk"] == (
        "Your 4-day streak is at risk: 4 invites and 5 follow-ups to go today"
    )
