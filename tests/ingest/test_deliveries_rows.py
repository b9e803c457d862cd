"""The deliveries log's rows of our own signed hooks, from what accepting came to (pure)."""

from __future__ import annotations

import uuid

from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import (
    MAX_PROVIDER_ID_LENGTH,
    DeliveryOutcome,
    DeliveryRow,
    invalid_row,
    row_of_outcome,
)
from crm_ingest.policy.outcomes import Outcome, Status, conflict_outcome
from crm_servicekit.problems import FieldError

from .support import T0


def test_an_accepted_event_is_listed_with_its_event_and_customer() -> None:
    customer = uuid.uuid4()
    row = row_of_outcome("acme", T0, Connector.DM, Outcome("e1", Status.ACCEPTED, customer))
    assert row == DeliveryRow(
        "acme", T0, Connector.DM, "e1", DeliveryOutcome.ACCEPTED, None, "e1", customer
    )


def test_a_conflict_names_the_event_id_field() -> None:
    row = row_of_outcome("acme", T0, Connector.CAPI_LEAD, conflict_outcome("e2"))
    assert row.outcome is DeliveryOutcome.REJECTED
    assert row.reason is not None
    assert row.reason.startswith("body.event_id: ")


def test_a_failed_event_says_kafka_could_not_take_it() -> None:
    row = row_of_outcome("acme", T0, Connector.DM, Outcome("e3", Status.FAILED))
    assert row.outcome is DeliveryOutcome.FAILED
    assert row.reason == "Kafka could not take the event"


def test_an_invalid_body_is_listed_under_the_id_it_gave() -> None:
    errors = [FieldError(("body", "sender"), "Field required"), FieldError(("body",), "x")]
    row = invalid_row("acme", T0, Connector.DM, {"event_id": "e4"}, errors)
    assert (row.provider_id, row.outcome, row.event_id) == ("e4", DeliveryOutcome.REJECTED, None)
    assert row.reason == "body.sender: Field required; body: x"


def test_an_invalid_body_without_a_text_id_is_listed_without_one() -> None:
    errors = [FieldError(("body", "event_id"), "must be text")]
    assert invalid_row("acme", T0, Connector.DM, {"event_id": 7}, errors).provider_id == ""
    assert invalid_row("acme", T0, Connector.DM, [1, 2], errors).provider_id == ""
    long_id = "x" * (MAX_PROVIDER_ID_LENGTH + 10)
    kept = invalid_row("acme", T0, Connector.DM, {"event_id": long_id}, errors).provider_id
    assert kept == long_id[:MAX_PROVIDER_ID_LENGTH]
