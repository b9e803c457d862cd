"""The producers' partitioner is Kafka's default one, only faster for keys seen before."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from crm_servicekit.kafka import keyed_partitioner


@given(key=st.binary(min_size=1, max_size=64), count=st.integers(min_value=1, max_value=64))
def test_a_key_lands_where_the_java_client_puts_it(key: bytes, count: int) -> None:
    partitions = list(range(count))
    expected = DefaultPartitioner()(key, partitions, partitions)
    assert keyed_partitioner(key, partitions, partitions) == expected
    assert keyed_partitioner(key, partitions, partitions) == expected  # remembered, same answer


def test_a_message_without_key_goes_to_an_available_partition() -> None:
    assert keyed_partitioner(None, [0, 1, 2], [2]) == 2
    assert keyed_partitioner(None, [0, 1, 2], []) in {0, 1, 2}
