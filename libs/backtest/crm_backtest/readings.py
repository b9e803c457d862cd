"""Reading the system through the gateway: polled until a reading matches or the deadline
passes (never a fixed sleep), an HTTP failure kept as a reading of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from crm_backtest.client import monotonic


async def poll(
    fetch: Callable[[], Awaitable[Any]],
    matches: Callable[[Any], bool],
    deadline: float,
    every: tuple[float, float] = (0.05, 1.0),
) -> tuple[Any, float | None]:
    """The first reading that matches and when it came, or the last one and None; readings
    start `every[0]` apart and back off to `every[1]`."""
    delay, longest = every
    while True:
        actual = await fetch()
        if matches(actual):
            return actual, monotonic()
        if monotonic() >= deadline:
            return actual, None
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, longest)


def problem(response: httpx.Response) -> dict[str, Any]:
    return {"http_status": response.status_code, "body": response.text[:300]}
