"""Fixtures that hand tests real servers: Kafka, PostgreSQL and Redis.

Servers come from the environment, else Docker, else the local launcher
(crm_devstack.servers_for_tests); nothing starts until a test asks for one of these fixtures,
so pure unit tests run without servers. All fixtures are synchronous so that sync and async
tests alike can use them (`new_topic(partitions=3)` needs no await).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator, Mapping

import pytest
from served_app import ModuleServers

from crm_devstack.databases import create_database, drop_database
from crm_devstack.servers_for_tests import ServersForTests, run_coroutine
from crm_devstack.topics import TopicSpec, create_topics, delete_topics

# A test that takes any of these needs real servers, so it is an integration test.
SERVER_FIXTURES = frozenset(
    {"kafka_bootstrap", "postgres_url", "redis_url", "new_database", "new_topic"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a server fixture as integration (`-m "not integration"`)."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many requests the OpenAPI fuzz tests sent and how many got a 5xx (`make fuzz`
    reports this); nothing when no fuzz test ran (openapi_fuzz.py was never imported)."""
    fuzz = sys.modules.get("openapi_fuzz")
    if fuzz is not None and fuzz.TALLY.sent:
        terminalreporter.write_line(fuzz.TALLY.summary())


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def server_source() -> Iterator[ServersForTests]:
    servers = ServersForTests()
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(server_source: ServersForTests) -> str:
    """ "host:port" of a broker that has the project's topics (crm.events.v1 and its DLQ)."""
    return server_source.kafka_bootstrap()


@pytest.fixture(scope="session")
def postgres_url(server_source: ServersForTests) -> str:
    """DSN of the server's `postgres` database, as a superuser."""
    return server_source.postgres_url()


@pytest.fixture(scope="session")
def redis_url(server_source: ServersForTests) -> str:
    return server_source.redis_url()


def _fresh_database(postgres_url: str) -> Iterator[str]:
    name = unique_name("test")
    url = run_coroutine(lambda: create_database(postgres_url, name))
    yield url
    run_coroutine(lambda: drop_database(postgres_url, name))


@pytest.fixture
def new_database(postgres_url: str) -> Iterator[str]:
    """DSN of a fresh, empty database of its own; dropped after the test."""
    yield from _fresh_database(postgres_url)


@pytest.fixture
def other_database(postgres_url: str) -> Iterator[str]:
    """A second fresh database, for tests that compare what two databases end up holding."""
    yield from _fresh_database(postgres_url)


@pytest.fixture(scope="module")
def module_database(postgres_url: str) -> Iterator[str]:
    """A fresh database shared by the tests of one module (a service they all talk to)."""
    yield from _fresh_database(postgres_url)


def created_topic(
    bootstrap: str, partitions: int = 3, config: Mapping[str, str] | None = None
) -> str:
    """A new, uniquely named topic (dashed: Kafka warns that "_" and "." collide in metrics)."""
    name = unique_name("test").replace("_", "-")
    spec = TopicSpec(name, partitions, dict(config or {}))
    run_coroutine(lambda: create_topics(bootstrap, [spec]))
    return name


@pytest.fixture(scope="module")
def module_topic(kafka_bootstrap: str) -> Iterator[str]:
    """A fresh 3-partition topic shared by the tests of one module; deleted after them."""
    name = created_topic(kafka_bootstrap)
    yield name
    run_coroutine(lambda: delete_topics(kafka_bootstrap, [name]))


@pytest.fixture(scope="module")
def module_servers(
    kafka_bootstrap: str,
    redis_url: str,
    module_database: str,
    module_topic: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> ModuleServers:
    """Everything a module's served app needs: servers, its database and topic, a folder."""
    return ModuleServers(
        module_database, kafka_bootstrap, redis_url, module_topic, tmp_path_factory.mktemp("app")
    )


@pytest.fixture
def new_topic(kafka_bootstrap: str) -> Iterator[Callable[..., str]]:
    """Factory: new_topic(partitions=3) creates a uniquely named topic and returns its name.

    The topics are deleted after the test.
    """
    created: list[str] = []

    def make(partitions: int = 3, config: Mapping[str, str] | None = None) -> str:
        name = created_topic(kafka_bootstrap, partitions, config)
        created.append(name)
        return name

    yield make
    run_coroutine(lambda: delete_topics(kafka_bootstrap, created))
