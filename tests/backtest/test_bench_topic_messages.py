"""bench.system_cpu's messages on the topic per accepted event (the pure arithmetic)."""

from __future__ import annotations

from aiokafka import TopicPartition

from bench.system_backlog import messages_between
from bench.system_cpu import figures

TOPIC = "crm.events.v1"


def test_messages_are_the_end_offsets_moved_summed_over_partitions() -> None:
    before = {TopicPartition(TOPIC, 0): 100, TopicPartition(TOPIC, 1): 40}
    after = {
        TopicPartition(TOPIC, 0): 130,
        TopicPartition(TOPIC, 1): 40,  # nothing reached this one
        TopicPartition(TOPIC, 2): 7,  # not in the first reading: counted from its start
    }
    assert messages_between(before, after) == 30 + 0 + 7


def test_messages_per_event_divides_by_the_accepted_events() -> None:
    cpu = {"rules": 2.0}
    result = figures(200, 10.0, used=cpu, idle={"rules": 0.0}, floor_rps=1000.0, messages=1_100)
    assert (result["topic_messages"], result["messages_per_event"]) == (1_100, 5.5)
    assert result["cpu_ms_per_event_by_group"] == {"rules": 10.0}  # 2 s over 200 events
    nothing = figures(0, 0.0, used=cpu, idle=cpu, floor_rps=0.0, messages=0)
    assert nothing["messages_per_event"] == 0.0  # no event accepted: no division by zero
