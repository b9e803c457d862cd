"""A replay of the same history into a fresh database gives identical reminders and ids."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from crm_schemas.pipeline import Status

from .history import T0, D, H, M, arrive_one_by_one, event, status_changed
from .kafka_io import eventually, produce, read_all
from .service_support import RulesUnderTest, running_rules


def history() -> list[Any]:
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    late_video = event("VIDEO_SENT", T0 + H, b)
    no_show = event("NO_SHOW", T0 + D, a)
    return [
        event("DM_STARTED", T0, a),
        event("MEETING_BOOKED", T0 + H, a),
        no_show,
        no_show,  # redelivered
        event("FOLLOW_UP_DONE", T0 + D + 3 * H, a),
        event("VIDEO_SENT", T0 + 2 * D, b),
        late_video,  # older than the video before it
        event("MESSAGE_RECEIVED", T0 + 3 * D, b, properties={"channel": "whatsapp"}),
        event("LEAD_QUALIFIED", T0, c),
        status_changed(
            T0 + H, c, Status.QUALIFIED, Status.PRESENTATION_SENT, cause_name="x", person=True
        ),
        event("DM_STARTED", T0, d, messaging=False),
        event("VIDEO_SENT", T0 + H, d),
        event("MESSAGE_SENT", T0 + 2 * D, d, messaging=True),
        event("INVITE_SENT", T0 + M, d),  # late, while opted out
    ]


def expected_count(events: list[Any]) -> int:
    """How many reminders the policy alone makes of this history, arriving in this order."""
    by_customer: dict[Any, list[Any]] = {}
    for e in events:
        by_customer.setdefault(e.customer_id, []).append(e)
    seen: dict[Any, list[Any]] = {
        c: list({e.event_id: e for e in es}.values()) for c, es in by_customer.items()
    }
    return sum(len(arrive_one_by_one(es)[0]) for es in seen.values())


async def everything(service: RulesUnderTest) -> list[tuple[Any, ...]]:
    answer = await service.client.get(
        "/api/reminders", params={"limit": 500}, headers=service.headers()
    )
    assert answer.status_code == 200, answer.text
    return sorted(
        (
            r["id"],
            r["customer_id"],
            r["type"],
            r["rule"],
            r["status"],
            r["scheduled_for"],
            r["trigger_event_id"],
            r["channel_window"],
        )
        for r in answer.json()["items"]
    )


async def test_replay_into_a_fresh_database_gives_identical_reminders(
    kafka_bootstrap: str, new_database: str, postgres_url: str, new_topic: Any, tmp_path: Path
) -> None:
    from crm_devstack.databases import create_database, drop_database

    first_topic, second_topic = new_topic(), new_topic()
    events = history()
    expected = expected_count(events)
    assert expected == 9  # a: 2h, 1d, 7d; b: the later video's 24h, 48h, 7d; c: 48h, 7d; d: 7d
    async with running_rules(
        database=new_database, bootstrap=kafka_bootstrap, topic=first_topic, tmp=tmp_path, now=T0
    ) as first:
        await produce(kafka_bootstrap, events, first_topic)
        original = await eventually(lambda: everything(first), lambda rs: len(rs) == expected)
        announced_first = {
            e.event_id
            for e in await read_all(kafka_bootstrap, first_topic)
            if e.event_name.value.startswith("REMINDER_")
        }
    name = f"replay_{uuid.uuid4().hex[:10]}"
    fresh = await create_database(postgres_url, name)
    try:
        async with running_rules(
            database=fresh, bootstrap=kafka_bootstrap, topic=second_topic, tmp=tmp_path, now=T0
        ) as second:
            await produce(kafka_bootstrap, events, second_topic)
            replayed = await eventually(lambda: everything(second), lambda rs: rs == original)
            assert replayed == original
            announced_second = await eventually(
                lambda: read_all(kafka_bootstrap, second_topic),
                lambda found: (
                    {e.event_id for e in found if e.event_name.value.startswith("REMINDER_")}
                    == announced_first
                ),
            )
            assert len(announced_second) > len(events)
    finally:
        await drop_database(postgres_url, name)
