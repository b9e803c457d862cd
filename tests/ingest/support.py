"""Helpers for ingest's integration tests: a running service, signing, reading the topic,
deleting a customer as the customers service does."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm_devstack.kafka_testing import eventually, read_records
from crm_ingest.policy.signatures import signature_of
from crm_ingest.settings import IngestSettings
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_events import system_event
from crm_schemas.topics import headers_dict
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACME_KEY, ACME_OLD_KEY, BETA_KEY = b"acme-current-key-32-bytes-long!!", b"acme-old" * 4, b"b" * 32
SERVICE_TOKEN = "ingest-tests-service-token-0123456789"


def new_id(prefix: str = "evt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value a sender would send."""
    return "v1," + base64.b64encode(signature_of(key, msg_id, timestamp, body)).decode()


def whsec(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode()


@dataclass(frozen=True)
class Published:
    key: bytes | None
    envelope: EventEnvelope
    headers: dict[str, str]


@dataclass
class Ingest:
    """A started ingest app and what a test needs around it."""

    client: httpx.AsyncClient
    settings: IngestSettings
    clock: FixedClock
    bootstrap: str

    def token(self, account: str = "acme", sub: str = "user-1", ttl_s: int = 3600) -> str:
        return mint_token(
            self.settings.jwt_secret, account, sub, timedelta(seconds=ttl_s), clock=self.clock
        )

    def auth(self, account: str = "acme", sub: str = "user-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(account, sub)}"}

    def signed(
        self, body: Any, key: bytes = ACME_KEY, at: datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = int((at or self.clock.now()).timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": "msg_" + str(abs(hash(raw))),
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(key, "msg_" + str(abs(hash(raw))), stamp, raw),
        }
        return raw, headers

    async def post_signed(
        self, path: str, body: Any, key: bytes = ACME_KEY, at: datetime | None = None
    ) -> httpx.Response:
        raw, headers = self.signed(body, key, at)
        return await self.client.post(path, content=raw, headers=headers)

    async def published(self) -> list[Published]:
        return [
            Published(key, EventEnvelope.from_json(value), headers)
            for key, value, headers in await read_all(self.bootstrap, self.settings.events_topic)
        ]

    async def published_with(self, event_id: str, count: int = 1) -> list[Published]:
        """Poll until `count` messages of that event id are on the topic (then a little more
        reading would show any extra one, which callers assert against)."""
        found = await eventually(
            self.published, lambda all_: sum(p.envelope.event_id == event_id for p in all_) >= count
        )
        return [p for p in found if p.envelope.event_id == event_id]

    async def delete_customer(self, customer: uuid.UUID) -> httpx.Response:
        """Publish the customers service's CUSTOMER_DELETED, then wait until ingest has taken
        it: returns the 422 an API event naming the customer then gets."""
        deleted = system_event(
            name=EventName.CUSTOMER_DELETED,
            account_id="acme",
            customer_id=customer,
            properties={},
            cause_event_id=new_id("delete"),
            timestamp=self.clock.now(),
            producer="customers",
            received_at=self.clock.now(),
        )
        producer = idempotent_producer(self.bootstrap, client_id="tests")
        await producer.start()
        try:
            await publish_in_order(producer, [record_of(deleted, self.settings.events_topic)])
        finally:
            await producer.stop()

        async def naming() -> httpx.Response:
            # A new event_id each time: a repeat of an accepted one would answer "duplicate".
            event = {
                "event_name": "INVITE_SENT",
                "event_id": new_id("naming"),
                "timestamp": "2026-11-02T08:00:00Z",
                "customer_id": str(customer),
            }
            return await self.client.post("/api/events", json=event, headers=self.auth())

        return await eventually(naming, lambda answer: answer.status_code == 422)


async def read_all(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes, dict[str, str]]]:
    return [
        (record.key, record.value, headers_dict(record.headers))
        for record in await read_records(bootstrap, topic)
    ]
