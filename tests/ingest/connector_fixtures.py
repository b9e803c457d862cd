"""The providers' documented webhook examples kept under connector_payloads/, and the check that
a connector's event is one ingest takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from crm_ingest.policy.connectors.items import Mapped
from crm_schemas.envelope import IncomingEvent

PAYLOADS = Path(__file__).parent / "connector_payloads"

# Any JSON document, nested, with the odd values a sender's JSON may carry.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def payload(provider: str, name: str) -> Any:
    return json.loads((PAYLOADS / provider / f"{name}.json").read_text())


def as_incoming(judged: object) -> IncomingEvent:
    """The mapped event as ingest validates it once the account is added."""
    assert isinstance(judged, Mapped), judged
    return IncomingEvent.model_validate({**judged.event, "account_id": "acme"})
