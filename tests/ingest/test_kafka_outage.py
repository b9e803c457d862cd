"""Kafka stopped: 503 and nothing on the topic; Kafka back: the retried event, once.

A broker of its own (the devstack launcher, in a temporary folder on free ports), so that
stopping it disturbs no other test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from crm_devstack.kafka_broker import KafkaBroker
from crm_devstack.processes import free_port
from crm_devstack.settings import Ports, StackConfig

from .conftest import new_id
from .support import Ingest, eventually


@pytest.fixture
async def own_broker(tmp_path: Path, kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    # kafka_bootstrap: the shared broker's setup has made sure the jars are installed.
    config = StackConfig(
        state_dir=tmp_path / "stack", ports=Ports(kafka=free_port(), kafka_controller=free_port())
    )
    broker = KafkaBroker(config)
    # Where the launcher keeps its state (and jars): $CRM_STATE_DIR, else .local.
    launcher_state = StackConfig.from_env().state_dir
    shared_jars = launcher_state / "kafka" / broker.jars_dir.name
    if not shared_jars.is_dir():
        pytest.skip(f"the launcher's Kafka jars are not in {launcher_state} (Kafka is external)")
    broker.home.mkdir(parents=True)
    os.symlink(shared_jars, broker.jars_dir)
    await broker.ensure_running()
    yield broker
    stop(broker)


def stop(broker: KafkaBroker) -> None:
    process = broker.running()
    if process is not None:
        process.kill()
        psutil.wait_procs([process], timeout=60)


def invite(event_id: str) -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:00:00Z",
        "contact": {"email": f"{event_id}@example.com"},
    }


async def test_kafka_down_is_503_and_the_retry_is_accepted_once(
    own_broker: KafkaBroker, start_ingest: Any
) -> None:
    async with start_ingest(bootstrap=own_broker.address(), topic="crm.events.v1") as ingest:
        ingest: Ingest
        warm = await ingest.client.post("/api/events", json=invite(new_id()), headers=ingest.auth())
        assert warm.status_code == 202, warm.text
        stop(own_broker)
        event_id = new_id("outage")
        down = await ingest.client.post("/api/events", json=invite(event_id), headers=ingest.auth())
        assert down.status_code == 503, down.text
        assert int(down.headers["retry-after"]) >= 1
        await own_broker.ensure_running()
        assert event_id not in [p.envelope.event_id for p in await ingest.published()]

        async def retry() -> Any:
            return await ingest.client.post(
                "/api/events", json=invite(event_id), headers=ingest.auth()
            )

        back = await eventually(retry, lambda r: r.status_code != 503, within_s=120)
        assert back.status_code == 202, back.text
        again = await retry()
        assert again.status_code == 200
        assert again.json()["customer_id"] == back.json()["customer_id"]
        marker = new_id("marker")
        await retry_until_accepted(ingest, marker)
        await ingest.published_with(marker)
        on_topic = [p.envelope.event_id for p in await ingest.published()]
        assert on_topic.count(event_id) == 1


async def retry_until_accepted(ingest: Ingest, event_id: str) -> None:
    async def send() -> Any:
        return await ingest.client.post("/api/events", json=invite(event_id), headers=ingest.auth())

    await eventually(send, lambda r: r.status_code in (200, 202), within_s=60)
