"""The rules service consumes ACCOUNT_SETTINGS_CHANGED from the topic (real Kafka and
PostgreSQL): reminders follow the settings in force at their trigger, and due reminders are
overdue by the grace in force at as_of."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crm_schemas.account_settings import AutomationSettings

from .history import ACCOUNT, T0, D, H, M, event, seeded, settings_changed
from .service_support import RebuildStage, RulesUnderTest


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def times(reminders: list[dict[str, Any]], kind: str) -> list[str]:
    return sorted(r["scheduled_for"] for r in reminders if r["type"] == kind)


async def test_a_change_read_from_the_topic_applies_from_its_timestamp_on(
    rules: RulesUnderTest,
) -> None:
    c = uuid.uuid4()
    change = AutomationSettings().merged(
        {"reminders": {"follow_up_2h": {"delay": "PT1H"}}, "overdue_grace": "PT10M"}
    )
    before, after = event("NO_SHOW", T0 - 3 * H, c), event("NO_SHOW", T0 + 2 * H, c)
    # The customer's partition and the account's are read in whatever order the consumer
    # gets them: the no-show after the change may be applied before it, then judged again.
    await rules.send([before, after])
    await rules.send([seeded(ACCOUNT), settings_changed(T0 + H, change)])
    expected = [z(T0 - H), z(T0 + 3 * H)]
    found = await rules.settled(c, lambda rs: times(rs, "follow_up_2h") == expected)
    assert times(found, "follow_up_1d") == [z(T0 - 3 * H + 24 * H), z(T0 + 26 * H)]

    async def due(as_of: datetime) -> dict[str, bool]:
        answer = await rules.client.get(
            "/api/reminders/due",
            params={"as_of": z(as_of), "customer_id": str(c)},
            headers=rules.headers(),
        )
        assert answer.status_code == 200, answer.text
        return {r["scheduled_for"]: r["overdue"] for r in answer.json()["items"]}

    # Before the change the file's grace (1h) holds: 30 minutes late is not overdue yet...
    assert await due(T0 - 30 * M) == {z(T0 - H): False}
    # ...after it, 10 minutes: the same 30 minutes late is overdue.
    assert await due(T0 + 3 * H + 30 * M) == {z(T0 - H): True, z(T0 + 3 * H): True}
    assert await due(T0 + 3 * H + 5 * M) == {z(T0 - H): True, z(T0 + 3 * H): False}


def open_ones(reminders: list[dict[str, Any]]) -> set[tuple[str, str, str, str | None]]:
    return {
        (r["type"], r["trigger_event_id"], r["scheduled_for"], r["message"])
        for r in reminders
        if r["status"] == "open"
    }


async def test_a_store_rebuilt_from_the_topic_has_the_reminders_judged_again_live(
    stage: RebuildStage,
) -> None:
    """Live, the change dated back reaches triggers already applied and is judged again; the
    rebuild reads the same topic with the partitions in whatever order it gets them."""
    a, b = uuid.uuid4(), uuid.uuid4()
    change = AutomationSettings().merged(
        {
            "reminders": {
                "follow_up_2h": {"delay": "PT1H", "message": "Call them now"},
                "follow_up_24h": {"enabled": False},
            }
        }
    )
    async with stage.live(T0) as live:
        await live.send([seeded(ACCOUNT)])
        await live.send([event("DM_STARTED", T0, a), event("NO_SHOW", T0 + 20 * H, a)])
        await live.send([event("DM_STARTED", T0, b), event("VIDEO_SENT", T0 + 30 * H, b)])
        await live.settled(a, lambda rs: len(open_ones(rs)) == 3)
        await live.settled(b, lambda rs: len(open_ones(rs)) == 3)
        await live.send([settings_changed(T0 + 10 * H, change)])
        moved = await live.settled(
            a,
            lambda rs: (
                ("follow_up_2h", z(T0 + 21 * H), "Call them now")
                in {(t, at, message) for t, _, at, message in open_ones(rs)}
            ),
        )
        left = await live.settled(
            b, lambda rs: "follow_up_24h" not in {t for t, *_ in open_ones(rs)}
        )
    # Judged again with the change: the video's 24h is gone, the rest as they were.
    assert {(t, at) for t, _, at, _ in open_ones(left)} == {
        ("follow_up_48h", z(T0 + 78 * H)),
        ("follow_up_7d", z(T0 + 30 * H + 7 * D)),
    }
    async with stage.rebuilt(T0) as rebuilt:
        for customer, live_state in ((a, moved), (b, left)):
            wanted = open_ones(live_state)
            found = await rebuilt.settled(customer, lambda rs, w=wanted: open_ones(rs) == w)
            assert open_ones(found) == wanted
