"""The documents as the code gives them now (every service's app built once per session) and
as ingest serves them from the checked-in files."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crm_devstack.contract.cli import documents
from crm_ingest.main import build_app
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock


@pytest.fixture(scope="session")
def generated() -> dict[str, str]:
    """Each published file's name and the text the code gives for it."""
    return documents()


@pytest.fixture
async def ingest() -> AsyncIterator[httpx.AsyncClient]:
    """Ingest's app; the document routes need none of its servers, so it is not started."""
    app = build_app(
        IngestSettings(environment="test"),
        FixedClock(datetime(2025, 3, 3, tzinfo=UTC)),
        Accounts([]),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        yield client


async def served_json(client: httpx.AsyncClient, path: str) -> Any:
    answer = await client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return json.loads(answer.content)
