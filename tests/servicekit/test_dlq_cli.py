"""`crm dlq list|replay|resolve` against real Kafka: filters, JSON lines, resolution marks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import typer
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from crm_devstack.servers_for_tests import run_coroutine
from crm_devstack.topics import delete_topics
from crm_schemas.topics import message_headers
from crm_servicekit.cli import app
from crm_servicekit.delivery import Delivery
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.dlq_resolutions import resolutions_topic
from crm_servicekit.dlq_tool import read_topic
from crm_servicekit.durations import parse_since

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def test_since_takes_an_instant_with_an_offset_or_a_duration_back_from_now() -> None:
    assert parse_since("2026-11-02T09:00:00Z", TUESDAY) == MONDAY
    assert parse_since("2026-11-02T11:00:00+02:00", TUESDAY) == MONDAY
    assert parse_since("24h", TUESDAY) == MONDAY
    assert parse_since("P1D", TUESDAY) == MONDAY
    with pytest.raises(typer.BadParameter, match="offset"):
        parse_since("2026-11-02T09:00:00", TUESDAY)
    with pytest.raises(typer.BadParameter, match="duration"):
        parse_since("yesterday", TUESDAY)


def letter(source: str, event_id: str, group: str) -> DeadLetter:
    body = json.dumps({"event_id": event_id, "event_name": "MESSAGE_SENT"}).encode()
    delivery = Delivery(
        topic=source, partition=0, offset=7, key=b"customer-1", value=body,
        headers=tuple(message_headers("MESSAGE_SENT", "acme", event_id)),
    )  # fmt: skip
    return DeadLetter(delivery, "Traceback ...\nValueError: boom", "handler_error", 3, group)


async def dead_letter(bootstrap: str, dlq: str, letters: list[tuple[DeadLetter, datetime]]) -> None:
    """Publish letters as the runtime does, each stamped with its own time of dead-lettering."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for dead, at in letters:
            record = dead.record(dlq)
            await producer.send_and_wait(
                dlq, record.value, key=record.key, headers=record.headers,
                timestamp_ms=int(at.timestamp() * 1000),
            )  # fmt: skip
    finally:
        await producer.stop()


@pytest.fixture
def topics(kafka_bootstrap: str, new_topic: Callable[..., str]) -> Iterator[tuple[str, str]]:
    """A source topic and its DLQ topic, each one partition, with three letters: a and c of
    group rules (Monday, Tuesday), b of nba (Monday); the marks' topic deleted afterwards."""
    source, dlq = new_topic(partitions=1), new_topic(partitions=1)
    letters = [
        (letter(source, "ev-a", "rules"), MONDAY),
        (letter(source, "ev-b", "nba"), MONDAY),
        (letter(source, "ev-c", "rules"), TUESDAY),
    ]
    run_coroutine(lambda: dead_letter(kafka_bootstrap, dlq, letters))
    yield source, dlq
    run_coroutine(lambda: delete_topics(kafka_bootstrap, [resolutions_topic(dlq)]))


def crm(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


def listed(bootstrap: str, dlq: str, *filters: str) -> list[dict[str, Any]]:
    out = crm("dlq", "list", "--json", "--bootstrap", bootstrap, "--topic", dlq, *filters)
    return [json.loads(line) for line in out.splitlines()]


def test_list_filters_by_group_and_since_and_writes_json_lines(
    kafka_bootstrap: str, topics: tuple[str, str]
) -> None:
    source, dlq = topics
    every = listed(kafka_bootstrap, dlq)
    assert [entry["event_id"] for entry in every] == ["ev-a", "ev-b", "ev-c"]
    first = every[0]
    assert first["letter_id"] == "0:0"
    assert first["consumer_group"] == "rules"
    assert first["kind"] == "handler_error"
    assert first["error"].endswith("ValueError: boom")
    assert first["attempts"] == 3
    assert first["source"] == {"topic": source, "partition": 0, "offset": 7}
    assert first["dead_lettered_at"] == "2026-11-02T09:00:00Z"
    assert first["resolved"] is None
    assert json.loads(first["value"])["event_id"] == "ev-a"

    by_group = listed(kafka_bootstrap, dlq, "--group", "rules")
    assert [entry["event_id"] for entry in by_group] == ["ev-a", "ev-c"]
    since = listed(kafka_bootstrap, dlq, "--since", "2026-11-03T00:00:00Z")
    assert [entry["event_id"] for entry in since] == ["ev-c"]
    both = listed(kafka_bootstrap, dlq, "--group", "nba", "--since", "2026-11-03T00:00:00Z")
    assert both == []

    table = crm("dlq", "list", "--bootstrap", kafka_bootstrap, "--topic", dlq, "--group", "nba")
    assert "ev-b" in table
    assert "ev-a" not in table
    assert "1 dead letter(s)" in table


def test_resolved_letters_are_not_replayed_by_all(
    kafka_bootstrap: str, topics: tuple[str, str]
) -> None:
    source, dlq = topics
    where = ("--bootstrap", kafka_bootstrap, "--topic", dlq)
    assert "resolved 1 letter(s)" in crm("dlq", "resolve", "0:0", "--note", "fixed by hand", *where)

    assert "replayed 2 letter(s)" in crm("dlq", "replay", "--all", *where)
    sent = asyncio.run(read_topic(kafka_bootstrap, source))
    assert sorted(json.loads(record.value)["event_id"] for record in sent) == ["ev-b", "ev-c"]

    states = {e["event_id"]: e["resolved"] for e in listed(kafka_bootstrap, dlq)}
    assert states["ev-a"]["resolution"] == "resolved"
    assert states["ev-a"]["note"] == "fixed by hand"
    assert states["ev-b"]["resolution"] == "replayed"
    assert states["ev-c"]["resolution"] == "replayed"
    assert listed(kafka_bootstrap, dlq, "--open") == []

    assert "replayed 0 letter(s)" in crm("dlq", "replay", "--all", *where)
    assert len(asyncio.run(read_topic(kafka_bootstrap, source))) == 2


def test_resolve_refuses_an_unknown_letter_id(
    kafka_bootstrap: str, topics: tuple[str, str]
) -> None:
    _, dlq = topics
    result = CliRunner().invoke(
        app, ["dlq", "resolve", "0:99", "--bootstrap", kafka_bootstrap, "--topic", dlq]
    )
    assert result.exit_code == 1
    assert "0:99" in result.output
    assert len(listed(kafka_bootstrap, dlq, "--open")) == 3


def test_resolve_with_filters_marks_only_the_open_letters_they_match(
    kafka_bootstrap: str, topics: tuple[str, str]
) -> None:
    _, dlq = topics
    where = ("--bootstrap", kafka_bootstrap, "--topic", dlq)
    assert "resolved 2 letter(s)" in crm("dlq", "resolve", "--all", "--group", "rules", *where)
    assert [e["event_id"] for e in listed(kafka_bootstrap, dlq, "--open")] == ["ev-b"]
    assert "resolved 0 letter(s)" in crm("dlq", "resolve", "--all", "--group", "rules", *where)
