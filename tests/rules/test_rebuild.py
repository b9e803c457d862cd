"""Rebuilding the rules' store from the topic gives back the reminders, a person's actions
included (docs/architecture.md, 'Deterministic ids, and rebuilding from the topic')."""

from __future__ import annotations

import uuid
from typing import Any

from rebuild_support import outbox_sent

from .history import T0, D, H, event
from .kafka_io import eventually
from .service_support import RebuildStage, RulesUnderTest

BASE = "/api/reminders"


def z(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")


def by_type(reminders: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["type"] if r["automated"] else r["message"]: r for r in reminders}


async def act(rules: RulesUnderTest, method: str, path: str, **body: Any) -> dict[str, Any]:
    answer = await rules.client.request(
        method, f"{BASE}{path}", json=body or None, headers=rules.headers()
    )
    assert answer.status_code in (200, 201, 204), answer.text
    return answer.json() if answer.content else {}


async def test_a_rebuilt_store_has_the_person_s_actions_back(stage: RebuildStage) -> None:
    c = uuid.uuid4()
    async with stage.live(T0) as live:
        await live.send([event("DM_STARTED", T0, c), event("VIDEO_SENT", T0 + H, c)])
        made = by_type(await live.settled(c, lambda rs: len(rs) == 3))
        live.clock.set(T0 + 2 * H)
        await act(live, "POST", "", customer_id=str(c), type="custom",
                  scheduled_for=z(T0 + 2 * D), message="Call")  # fmt: skip
        dropped = await act(live, "POST", "", customer_id=str(c), type="custom",
                            scheduled_for=z(T0 + 3 * D), message="Dropped")  # fmt: skip
        await act(live, "DELETE", f"/{dropped['id']}")
        await act(live, "POST", f"/{made['follow_up_24h']['id']}/complete")
        await act(live, "POST", f"/{made['follow_up_48h']['id']}/snooze", until=z(T0 + 4 * D))
        # The announcements are on the topic before this fact (one partition per customer),
        # so once its effect shows, the live service has read them back.
        await eventually(lambda: outbox_sent(stage.live_db), bool)
        await live.send([event("MESSAGE_RECEIVED", T0 + 5 * H, c)])
        before = await live.settled(
            c,
            lambda rs: by_type(rs)["follow_up_7d"]["scheduled_for"] == z(T0 + 5 * H + 7 * D),
        )
    # Read back live, the person's announcements changed nothing a second time.
    found = by_type(before)
    assert {name: r["status"] for name, r in found.items()} == {
        "follow_up_24h": "completed",
        "follow_up_48h": "open",
        "follow_up_7d": "open",
        "Call": "open",
        "Dropped": "canceled",
    }
    assert found["follow_up_24h"]["completed_at"] == z(T0 + 2 * H)
    assert found["follow_up_48h"]["scheduled_for"] == z(T0 + 4 * D)

    async with stage.rebuilt(T0) as rebuilt:
        after = await rebuilt.settled(c, lambda rs: rs == before)
    assert after == before
