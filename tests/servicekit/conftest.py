from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog

from crm_servicekit.logging import configure_logging

from .sample_service import sample_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sample_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sample") as client:
        yield client


@pytest.fixture
def json_log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Our JSON logging set up as a service does; call the result to read the lines so far."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("DEBUG", service="sample")
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    output = io.StringIO()
    handler.setStream(output)  # stdout, where services write, is pytest's here

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in output.getvalue().splitlines()]

    yield read
    root.handlers = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()
