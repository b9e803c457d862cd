"""A creation through the API in an open stage is activity, against real Kafka and PostgreSQL:
the follow_up_7d it makes, moved by later activity, kept by a rebuild from the topic."""

from __future__ import annotations

import uuid
from typing import Any

from crm_schemas.pipeline import PipelineState, Status

from .history import T0, D, H, customer_created, event
from .service_support import RebuildStage, RulesUnderTest


def z(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")


def open_7d(reminders: list[dict[str, Any]]) -> list[str]:
    return [r["scheduled_for"] for r in reminders if r["status"] == "open"]


async def test_an_api_created_lead_gets_its_follow_up_7d_and_later_activity_moves_it(
    rules: RulesUnderTest,
) -> None:
    c = uuid.uuid4()
    created = customer_created(T0, c)
    await rules.send([created])
    (first,) = await rules.settled(c, lambda rs: len(rs) == 1)
    assert (first["type"], first["scheduled_for"]) == ("follow_up_7d", z(T0 + 7 * D))
    assert first["trigger_event_id"] == created.event_id
    invite = event("INVITE_SENT", T0 + 5 * D, c)
    await rules.send([invite])
    (moved,) = await rules.settled(c, lambda rs: open_7d(rs) == [z(T0 + 12 * D)])
    assert moved["id"] == first["id"]
    assert moved["trigger_event_id"] == invite.event_id


async def test_an_import_at_not_now_makes_nothing_until_a_dm_reopens_them(
    rules: RulesUnderTest,
) -> None:
    c = uuid.uuid4()
    await rules.send([customer_created(T0, c, PipelineState(status=Status.NOT_NOW))])
    # One partition per customer: once the DM's reminder shows, the import was applied.
    await rules.send([event("DM_STARTED", T0 + 2 * D, c)])
    found = await rules.settled(c, lambda rs: len(rs) >= 1)
    assert [(r["type"], r["scheduled_for"]) for r in found] == [("follow_up_7d", z(T0 + 9 * D))]


async def test_the_account_s_quiet_hours_move_the_creation_s_reminder(
    rules: RulesUnderTest,
) -> None:
    c = uuid.uuid4()
    # 23:00 in Oslo: a week later is inside the quiet hours (22:00-07:00), so 07:00 Oslo.
    await rules.send([customer_created(T0 + 13 * H, c, account="quiet")])
    (found,) = await rules.settled(c, lambda rs: len(rs) == 1, account="quiet")
    assert found["scheduled_for"] == z(T0 + 7 * D + 21 * H)


async def test_a_rebuild_from_the_topic_gives_the_creation_s_reminder_again(
    stage: RebuildStage,
) -> None:
    c = uuid.uuid4()
    async with stage.live(T0) as live:
        # The fact stamped before the creation reaches the rules first.
        await live.send([event("MESSAGE_SENT", T0 - H, c), customer_created(T0, c)])
        before = await live.settled(c, lambda rs: open_7d(rs) == [z(T0 + 7 * D)])
    async with stage.rebuilt(T0) as rebuilt:
        after = await rebuilt.settled(c, lambda rs: rs == before)
    assert after == before
