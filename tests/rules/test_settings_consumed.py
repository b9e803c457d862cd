"""The rules service consumes ACCOUNT_SETTINGS_CHANGED from the topic (real Kafka and
PostgreSQL): reminders follow the settings in force at their trigger, and due reminders are
overdue by the grace in force at as_of."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crm_schemas.account_settings import AutomationSettings

from .history import ACCOUNT, T0, H, M, event, seeded, settings_changed
from .service_support import RulesUnderTest


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
