"""A rules service shared by one test module (starting one costs a consumer group join), and
a topic with two stores for the tests of a rebuild."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from crm_devstack.databases import create_database, drop_database
from crm_devstack.topics import TopicSpec, create_topics, delete_topics

from .history import T0
from .service_support import RebuildStage, RulesUnderTest, rebuild_stage, running_rules


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rules(
    postgres_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RulesUnderTest]:
    name = f"rules_{uuid.uuid4().hex[:12]}"
    database = await create_database(postgres_url, name)
    topic = f"rules-{uuid.uuid4().hex[:12]}"
    await create_topics(kafka_bootstrap, [TopicSpec(topic, 3, {})])
    tmp: Path = tmp_path_factory.mktemp("rules")
    try:
        async with running_rules(
            database=database, bootstrap=kafka_bootstrap, topic=topic, tmp=tmp, now=T0
        ) as service:
            yield service
    finally:
        await delete_topics(kafka_bootstrap, [topic])
        await drop_database(postgres_url, name)


@pytest.fixture
async def stage(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[RebuildStage]:
    async with rebuild_stage(postgres_url, kafka_bootstrap, tmp_path) as staged:
        yield staged
