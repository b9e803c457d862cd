"""The project's Kafka topics and the admin calls that create and delete topics.

Topic names and the partition count are canonical in crm_schemas.topics; the launcher creates
the topics explicitly because the broker runs with auto.create.topics.enable=false.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError, for_code
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_fixed

from crm_schemas.topics import DLQ_RESOLVED_TOPIC, DLQ_TOPIC, EVENTS_TOPIC, PARTITIONS

# Keep everything: crm.events.v1 is the system of record replayed by rebuilds, and a dead
# letter must stay until someone replays or discards it.
KEEP_FOREVER: Mapping[str, str] = {"retention.ms": "-1"}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: Mapping[str, str] = field(default_factory=dict)


PROJECT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(EVENTS_TOPIC, PARTITIONS, KEEP_FOREVER),
    # Same partition count: a replayed dead letter keeps its key, so it lands where it came from.
    TopicSpec(DLQ_TOPIC, PARTITIONS, KEEP_FOREVER),
    # The latest mark per dead letter, kept for ever by compaction (`crm dlq resolve`).
    TopicSpec(DLQ_RESOLVED_TOPIC, 1, {"cleanup.policy": "compact", "retention.ms": "-1"}),
)


class TopicAdminError(RuntimeError):
    pass


def _retriable(error: BaseException) -> bool:
    # Right after start the broker may answer metadata before its controller accepts topic
    # changes; those errors are marked retriable by aiokafka.
    return bool(getattr(error, "retriable", False))


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    return admin


def _raise_errors(topic_errors: Sequence[Sequence[object]], ignore: tuple[type, ...]) -> None:
    for entry in topic_errors:
        topic, code = entry[0], entry[1]
        if code == 0:
            continue
        error = for_code(int(str(code)))
        if issubclass(error, ignore):
            continue
        message = entry[2] if len(entry) > 2 else ""
        raise error(f"topic {topic}: {message or error.__name__}")


async def create_topics(
    bootstrap: str, specs: Sequence[TopicSpec], retry_for: float = 60.0
) -> None:
    """Create the topics that do not exist yet (existing ones are left as they are)."""
    admin = await _admin(bootstrap)
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(retry_for),
            wait=wait_fixed(0.5),
            retry=retry_if_exception(_retriable),
            reraise=True,
        ):
            with attempt:
                response = await admin.create_topics(
                    [
                        NewTopic(
                            name=spec.name,
                            num_partitions=spec.partitions,
                            replication_factor=1,
                            topic_configs=dict(spec.config),
                        )
                        for spec in specs
                    ]
                )
                _raise_errors(response.topic_errors, ignore=(TopicAlreadyExistsError,))
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: Sequence[str]) -> None:
    """Delete topics; names that do not exist are ignored."""
    if not names:
        return
    admin = await _admin(bootstrap)
    try:
        response = await admin.delete_topics(list(names))
        _raise_errors(response.topic_error_codes, ignore=(UnknownTopicOrPartitionError,))
    finally:
        await admin.close()


@contextmanager
def _aiokafka_quiet() -> Iterator[None]:
    """aiokafka logs every refused connection as an error; while probing they are expected."""
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


async def broker_answers(bootstrap: str) -> bool:
    """True when the broker serves metadata and lists itself as a live broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    with _aiokafka_quiet():
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return bool(cluster.get("brokers"))
        except Exception:
            # Any failure (refused, timeout, broker still loading) just means "not yet".
            return False
        finally:
            await admin.close()
