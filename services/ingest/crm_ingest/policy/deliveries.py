"""The deliveries log's rows and what a delivery item can come to (pure values).

One row per delivery item and account: what a person reads when "my Instagram messages don't
show up" (docs/CONNECTORS: deliveries log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.outcomes import Outcome, Status
from crm_schemas.envelope import MAX_EVENT_ID_LENGTH
from crm_servicekit.problems import FieldError

# A body's own id is the client's text: the log keeps no more of it than an event id may be.
MAX_PROVIDER_ID_LENGTH = MAX_EVENT_ID_LENGTH


class DeliveryOutcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # the CRM does not model it
    REJECTED = "rejected"  # modelled but refused, with the reason
    FAILED = "failed"  # a dependency could not take it; the provider is asked to retry


@dataclass(frozen=True)
class DeliveryRow:
    account_id: str
    received_at: datetime
    connector: Connector
    # The provider's own id of the item (for our signed hooks, the body's event_id).
    provider_id: str
    outcome: DeliveryOutcome
    reason: str | None = None
    event_id: str | None = None
    customer_id: UUID | None = None


@dataclass(frozen=True)
class DeliveryFilter:
    """What the list is narrowed to; every field optional. `start` inclusive, `end` exclusive."""

    connector: Connector | None = None
    outcome: DeliveryOutcome | None = None
    start: datetime | None = None
    end: datetime | None = None


def row_of_outcome(
    account_id: str, received_at: datetime, connector: Connector, outcome: Outcome
) -> DeliveryRow:
    """The row of one of our own signed hooks, from what accepting its event came to."""
    reason = None
    if outcome.status is Status.REJECTED:
        reason = reason_of(outcome.errors) or outcome.reason
    elif outcome.status is Status.FAILED:
        reason = "Kafka could not take the event"
    return DeliveryRow(
        account_id,
        received_at,
        connector,
        outcome.event_id,
        DeliveryOutcome(outcome.status.value),
        reason,
        outcome.event_id,
        outcome.customer_id,
    )


def reason_of(errors: Sequence[FieldError]) -> str:
    """The fields that made an item invalid, as one line: `body.sender: Field required`."""
    return "; ".join(f"{'.'.join(str(part) for part in e.loc)}: {e.msg}" for e in errors)


def invalid_row(
    account_id: str,
    received_at: datetime,
    connector: Connector,
    document: object,
    errors: Sequence[FieldError],
) -> DeliveryRow:
    """The row of one of our own signed hooks whose body is no valid event (answered 422):
    listed under the event id the body gave, when it gave one as text."""
    given = document.get("event_id") if isinstance(document, dict) else None
    provider_id = given[:MAX_PROVIDER_ID_LENGTH] if isinstance(given, str) else ""
    return DeliveryRow(
        account_id,
        received_at,
        connector,
        provider_id,
        DeliveryOutcome.REJECTED,
        reason_of(errors),
    )
