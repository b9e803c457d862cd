"""The reminders lists' `within` and `as_of` at and beyond their bounds."""

from __future__ import annotations

from typing import Any

from .service_support import RulesUnderTest
from .test_api import BASE, problem_fields


async def test_within_is_bounded_to_ten_years(rules: RulesUnderTest) -> None:
    async def upcoming(**params: str) -> Any:
        return await rules.client.get(f"{BASE}/upcoming", params=params, headers=rules.headers())

    for good in ("P3653D", "PT1S"):
        assert (await upcoming(within=good)).status_code == 200, good
    # The latest as_of and the longest within: no arithmetic overflows.
    latest = await upcoming(as_of="2999-12-31T23:59:59.999999Z", within="P3653D")
    assert latest.status_code == 200, latest.text
    for bad in ("P3654D", "P3000000D", "P9999999999D", "-P1D", "PT0S", "7"):
        answer = await upcoming(within=bad)
        assert answer.status_code == 422, bad
        assert problem_fields(answer) == [["query", "within"]], bad


async def test_as_of_out_of_range_is_422_naming_it(rules: RulesUnderTest) -> None:
    for path in (BASE + "/upcoming", BASE + "/due"):
        for bad in (
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:00:00-05:00",
            "3000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-01-01T00:00:00",
            "1e30",
        ):
            answer = await rules.client.get(path, params={"as_of": bad}, headers=rules.headers())
            assert answer.status_code == 422, (path, bad)
            assert problem_fields(answer) == [["query", "as_of"]], (path, bad)
        edge = await rules.client.get(
            path, params={"as_of": "1970-01-01T00:00:00Z"}, headers=rules.headers()
        )
        assert edge.status_code == 200, (path, edge.text)
