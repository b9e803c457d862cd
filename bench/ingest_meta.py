"""The ingest benchmark's Meta phase: signed Messenger deliveries of 100 messages each to
`POST /api/hooks/meta`, batched as Meta batches page events (object `page`, one `entry[]` per
message, each with its one `messaging[]` item), built from Meta's documented message example
(meta_messenger_message.json).

Most senders of a delivery are people who wrote to the page before (a pool introduced before
the measured phases, so their messages continue a thread) and some are new (their first DM);
the senders of one delivery are distinct and every message id is new, so each message is
accepted, none a duplicate.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx

from bench.ingest_phase import Phase
from crm_servicekit.account_connectors import Connectors
from crm_servicekit.provider_signatures import META_SIGNATURE_HEADER, meta_signature

PAGE_ID: Final = "1000000000000001"
APP_SECRET: Final = "bench-meta-app-secret"
MESSAGES_PER_DELIVERY: Final = 100
NEW_PER_DELIVERY: Final = 10  # first DMs of a delivery; the rest come from the pool
POOL: Final = 1_000  # people who wrote to the page before the measured phases
_EXAMPLE: Final = json.loads((Path(__file__).parent / "meta_messenger_message.json").read_text())
_TEXTS: Final = ("Hi! Tell me more", "How does it work?", "Sounds good", "When can we talk?")


def connectors() -> Connectors:
    """The bench account's Meta connector: its page, trusting the deployment's app secret."""
    return Connectors.model_validate({"meta": {"page_ids": [PAGE_ID]}})


def settings() -> dict[str, str]:
    """The ingest settings (environment) that let it verify the deliveries' signatures."""
    return {"INGEST_META_APP_SECRETS": json.dumps([APP_SECRET])}


def new_sender() -> str:
    """A page-scoped id (PSID): digits, unique to this run."""
    return str(random.randrange(10**15, 10**16))


def delivery(senders: list[str], run: str) -> dict[str, Any]:
    """One delivery: an entry per sender, each holding that sender's message to the page."""
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    entries = []
    for sender in senders:
        entry = copy.deepcopy(_EXAMPLE["entry"][0])
        entry["id"], entry["time"] = PAGE_ID, now_ms
        item = entry["messaging"][0]
        item["sender"]["id"], item["recipient"]["id"] = sender, PAGE_ID
        item["timestamp"] = now_ms
        item["message"]["mid"] = f"m_{run}{uuid.uuid4().hex}"
        item["message"]["text"] = random.choice(_TEXTS)
        entries.append(entry)
    return {"object": _EXAMPLE["object"], "entry": entries}


def signed(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    headers = {
        "content-type": "application/json",
        META_SIGNATURE_HEADER: meta_signature(raw, APP_SECRET),
    }
    return raw, headers


async def post(client: httpx.AsyncClient, senders: list[str], run: str) -> int:
    """Send one delivery; the number of its messages accepted (0 when it was not taken)."""
    raw, headers = signed(delivery(senders, run))
    answer = await client.post("/api/hooks/meta", content=raw, headers=headers)
    if answer.status_code != 200:
        print(f"meta delivery answered {answer.status_code}: {answer.text[:200]}", file=sys.stderr)
        return 0
    outcomes: dict[str, int] = answer.json()["outcomes"]
    accepted = outcomes.get("accepted", 0)
    if accepted != len(senders):
        print(f"meta delivery not all accepted: {outcomes}", file=sys.stderr)
    return accepted


async def introduce_pool(client: httpx.AsyncClient) -> list[str]:
    """The pool's first DMs, sent before the measured phases (and warming the Meta path)."""
    pool = [new_sender() for _ in range(POOL)]
    run = uuid.uuid4().hex[:8]
    for start in range(0, POOL, MESSAGES_PER_DELIVERY):
        await post(client, pool[start : start + MESSAGES_PER_DELIVERY], run)
    return pool


async def deliveries(
    client: httpx.AsyncClient, pool: list[str], concurrency: int, seconds: float
) -> Phase:
    """Closed loop: each of `concurrency` connections posts its next delivery as soon as the
    last is answered; latencies are per delivery."""
    latencies: list[float] = []
    accepted = answered = 0
    run = uuid.uuid4().hex[:8]
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal accepted, answered
        while time.perf_counter() < deadline:
            returning = random.sample(pool, MESSAGES_PER_DELIVERY - NEW_PER_DELIVERY)
            senders = returning + [new_sender() for _ in range(NEW_PER_DELIVERY)]
            random.shuffle(senders)
            started = time.perf_counter()
            taken = await post(client, senders, run)
            latencies.append((time.perf_counter() - started) * 1000)
            answered += taken > 0
            accepted += taken

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    name = f"meta delivery of {MESSAGES_PER_DELIVERY} messages, concurrency {concurrency}"
    elapsed = time.perf_counter() - started
    return Phase(name, accepted, elapsed, latencies, deliveries=answered)
