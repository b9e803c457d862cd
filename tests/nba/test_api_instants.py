"""Instants in the analyze body (`as_of`, each history event's `timestamp`) are the system's:
aware, ISO 8601 text, from 1970 to before 3000; anything else is 422 naming the field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from .conftest import RunningNba
from .history import T

pytestmark = pytest.mark.integration

OUT_OF_RANGE: list[Any] = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:00:00-05:00",
    "3000-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2026-11-03T12:00:00",
    "2026-11-03T12:00:00\u0000Z",
    1e30,
]


def history(timestamp: Any) -> list[dict[str, Any]]:
    return [
        {
            "event_name": "DM_STARTED",
            "event_id": "e1",
            "timestamp": timestamp,
            "customer_id": str(uuid.uuid4()),
        }
    ]


async def test_analyze_refuses_instants_out_of_range_naming_them(nba: RunningNba) -> None:
    async def post(body: dict[str, Any]) -> httpx.Response:
        return await nba.client.post("/api/nba/analyze", json=body, headers=nba.token())

    for bad in OUT_OF_RANGE:
        as_of = await post({"history": history(T.isoformat()), "as_of": bad})
        assert as_of.status_code == 422, (bad, as_of.text)
        assert [e["loc"] for e in as_of.json()["errors"]] == [["body", "as_of"]], bad
        stamped = await post({"history": history(bad)})
        assert stamped.status_code == 422, (bad, stamped.text)
        locs = [e["loc"] for e in stamped.json()["errors"]]
        assert locs == [["body", "history", 0, "timestamp"]], bad
    edges = ("1970-01-01T00:00:00Z", "2999-12-31T23:59:59.999999Z")
    for edge in edges:
        answered = await post({"history": history(T.isoformat()), "as_of": edge})
        assert answered.status_code == 200, (edge, answered.text)
