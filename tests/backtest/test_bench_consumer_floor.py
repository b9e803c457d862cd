"""bench.consumer_floor's messages: the size its figures are stated for, and what a consumer
of the topic accepts."""

from __future__ import annotations

from bench.consumer_floor import CUSTOMERS, ENVELOPE_BYTES, messages
from crm_schemas.envelope import EventEnvelope


def test_every_message_is_an_envelope_of_the_stated_size() -> None:
    batch = messages(50, start=999_980)  # ids of several widths
    assert {len(message.to_json()) for message in batch} == {ENVELOPE_BYTES}
    # What the consumers decode: the published body reads back as the same envelope.
    assert [EventEnvelope.from_json(m.to_message()) for m in batch] == batch


def test_messages_go_round_a_pool_of_customers_with_ids_of_their_own() -> None:
    batch = messages(CUSTOMERS + 10, start=0)
    assert len({message.event_id for message in batch}) == len(batch)
    assert len({message.customer_id for message in batch}) == CUSTOMERS
    assert messages(3, start=5)[0].event_id == batch[5].event_id
