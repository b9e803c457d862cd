"""A posted history holding NUL, a lone surrogate or NaN (as a client's JSON sends them) is
422 naming the place, never a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .conftest import RunningNba
from .history import T


def history_event(**fields: Any) -> dict[str, Any]:
    return {
        "event_name": "MESSAGE_RECEIVED",
        "event_id": "e1",
        "timestamp": T.isoformat(),
        "customer_id": str(uuid.uuid4()),
        "properties": {"channel": "ig"},
        **fields,
    }


async def test_analyze_refuses_unstorable_values_naming_the_place(nba: RunningNba) -> None:
    history: list[tuple[dict[str, Any], list[Any]]] = [
        (history_event(event_id="e\ud800"), ["event_id"]),
        (history_event(properties={"channel": "ig", "text": "\x00"}), ["properties", "text"]),
        (history_event(properties={"channel": "ig", "n": [float("nan")]}), ["properties", "n", 0]),
        (history_event(properties={"channel": "\udfff"}), ["properties", "channel"]),
    ]
    for item, loc in history:
        answer = await nba.client.post(
            "/api/nba/analyze",
            content=json.dumps({"history": [item]}).encode(),
            headers={**nba.token(), "content-type": "application/json"},
        )
        assert answer.status_code == 422, answer.text
        assert [e["loc"] for e in answer.json()["errors"]] == [["body", "history", 0, *loc]]
    fine = await nba.client.post(
        "/api/nba/analyze", json={"history": [history_event()]}, headers=nba.token()
    )
    assert fine.status_code == 200, fine.text
