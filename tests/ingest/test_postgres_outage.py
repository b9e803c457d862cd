"""PostgreSQL down: ingest's event routes answer 503 naming it; PostgreSQL back: served again,
and events re-sent after the outage are each accepted once and published."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import asyncpg
from openapi_fuzz import user_bearer
from outage_support import (
    Probe,
    assert_postgres_unavailable,
    outage_and_recovery,
    postgres_proxy,
    served_behind_proxy,
)
from served_app import ModuleServers

from .conftest import new_id
from .support import T0, Ingest, eventually
from .test_openapi_fuzz import ingest_app


def fresh_event() -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": f"outage-{uuid.uuid4().hex[:12]}",
        "timestamp": (T0 - timedelta(minutes=1)).isoformat(),
        "user_id": "outage-prospect",
    }


def fresh_dm() -> dict[str, Any]:
    """A DM provider's webhook for the account that takes unsigned ones."""
    return {
        "event_id": f"outage-dm-{uuid.uuid4().hex[:12]}",
        "account_id": "devbox",
        "platform": "ig",
        "sender": {"id": "17841400099", "handle": "@outage.dm", "name": "Outage DM"},
        "text": "Hi!",
        "timestamp": (T0 - timedelta(minutes=1)).isoformat(),
    }


def test_postgres_down_is_503_on_events_batches_and_hooks(module_servers: ModuleServers) -> None:
    probes = [
        Probe("POST", "/api/events", ok=frozenset({202}), body=fresh_event),
        Probe("POST", "/api/events/batch", body=lambda: {"events": [fresh_event()]}),
        Probe("POST", "/api/hooks/dm", ok=frozenset({202}), body=fresh_dm),
        Probe("GET", "/api/hooks/deliveries"),
    ]
    with served_behind_proxy(module_servers, ingest_app) as (proxy, url):
        outage_and_recovery(proxy, url, user_bearer("acme", T0), probes)


def invite(event_id: str) -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:00:00Z",
        "contact": {"email": f"{event_id}@example.com"},
    }


class Answers:
    """Every answer each event id got, single or in a batch: (status, customer id)."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[tuple[str, str | None]]] = defaultdict(list)

    async def send_all(self, ingest: Ingest, singles: list[str], batched: list[str]) -> set[str]:
        """Send each single and the batch at once; the ids answered 503."""
        answers = await asyncio.gather(
            *(
                ingest.client.post("/api/events", json=invite(i), headers=ingest.auth())
                for i in singles
            ),
            ingest.client.post(
                "/api/events/batch",
                json={"events": [invite(i) for i in batched]},
                headers=ingest.auth(),
            ),
        )
        unavailable: set[str] = set()
        for event_id, answer in zip(singles, answers, strict=False):
            assert answer.status_code in (200, 202, 503), answer.text
            if answer.status_code == 503:
                assert_postgres_unavailable(answer)
                unavailable.add(event_id)
            else:
                body = answer.json()
                expected = "accepted" if answer.status_code == 202 else "duplicate"
                assert body["status"] == expected, body
                self.by_id[event_id].append((body["status"], body["customer_id"]))
        batch = answers[-1]
        assert batch.status_code in (200, 503), batch.text
        if batch.status_code == 503:
            assert_postgres_unavailable(batch)
            return unavailable | set(batched)
        for result in batch.json()["results"]:
            assert result["status"] in ("accepted", "duplicate"), result
            self.by_id[result["event_id"]].append((result["status"], result.get("customer_id")))
        return unavailable


async def test_resent_after_an_outage_each_event_is_published_and_answered_alike(
    start_ingest: Any, new_database: str
) -> None:
    singles = [new_id("single") for _ in range(8)]
    # Large enough that its acceptance takes a while between recording and publishing.
    batched = [new_id("batched") for _ in range(300)]
    every_id = singles + batched
    answers = Answers()
    watcher = await asyncpg.connect(new_database)  # straight to PostgreSQL, not the proxy
    with postgres_proxy(new_database) as (proxy, through_proxy):
        async with start_ingest(database=through_proxy) as ingest:
            ingest: Ingest
            warm = await ingest.client.post(
                "/api/events", json=invite(new_id("warm")), headers=ingest.auth()
            )
            assert warm.status_code == 202, warm.text
            first = asyncio.create_task(answers.send_all(ingest, singles, batched))

            async def recorded_or_answered() -> bool:
                pending = await watcher.fetchval(
                    "SELECT count(*) FROM event_records WHERE state = 'pending'"
                )
                return first.done() or pending > 0

            # PostgreSQL goes once the first sends are recorded, most likely before they are
            # published: whatever each had done, its retries must come out right.
            await eventually(recorded_or_answered, bool, interval=0.005)
            await asyncio.to_thread(proxy.refuse)
            await first
            # While it is down, every send is refused before anything is recorded or sent.
            assert await answers.send_all(ingest, singles, batched) == set(every_id)
            await asyncio.to_thread(proxy.restore)
            await eventually(
                lambda: answers.send_all(ingest, singles, batched), lambda down: not down
            )
            # Once more: by now every event is a duplicate with the customer of its acceptance.
            assert await answers.send_all(ingest, singles, batched) == set()
            published = await ingest.published()
    await watcher.close()
    on_topic: dict[str, list[str]] = defaultdict(list)
    for message in published:
        on_topic[message.envelope.event_id].append(str(message.envelope.customer_id))
    for event_id in every_id:
        statuses = [status for status, _ in answers.by_id[event_id]]
        # Accepted once, or never when the connection broke as the mark committed (the
        # sender got a 503, then duplicates).
        assert statuses.count("accepted") <= 1, (event_id, statuses)
        assert statuses[-1] == "duplicate", (event_id, statuses)
        customers = {customer for _, customer in answers.by_id[event_id]}
        assert len(customers) == 1, (event_id, customers)
        # Published at least once (twice only when an outage fell between Kafka's ack and the
        # mark: consumers de-duplicate), always for the customer the answers named.
        assert on_topic[event_id], event_id
        assert set(on_topic[event_id]) == customers, (event_id, on_topic[event_id])
