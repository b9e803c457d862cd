"""Where the tests' Kafka, PostgreSQL and Redis come from, each obtained on first request.

For each server, in this order (docs/architecture.md, running it):
1. an address given in the environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, REDIS_URL);
2. a container, when a Docker engine answers (testcontainers);
3. the local launcher, the same code `make up` runs (crm_devstack.stack.ensure_up).
The project's topics and service databases are created in each case (idempotently), so tests
see the same layout whichever way the server came.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from crm_devstack.databases import ensure_databases
from crm_devstack.settings import SERVICE_DATABASES, Endpoints
from crm_devstack.stack import ensure_up_async
from crm_devstack.topics import PROJECT_TOPICS, create_topics

ENV_KAFKA = "KAFKA_BOOTSTRAP_SERVERS"
ENV_DATABASE = "DATABASE_URL"
ENV_REDIS = "REDIS_URL"

# Pinned images for the Docker path (a developer laptop; never taken on this project's CI).
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
POSTGRES_IMAGE = "postgres:15"
REDIS_IMAGE = "redis:7.2"

T = TypeVar("T")


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop.

    Fixtures are synchronous so that sync and async tests can both use them; an async test's
    loop may already be running, so the coroutine gets a fresh loop in a worker thread.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(lambda: asyncio.run(factory())).result()


def docker_answers() -> bool:
    try:
        # testcontainers brings the docker package (dev group only); it ships no type hints.
        import docker  # type: ignore[import-untyped]
    except ImportError:
        return False
    try:
        docker.from_env(timeout=3).ping()
    except Exception:
        # No socket, no permission, engine down: all mean "no Docker here".
        return False
    return True


class ServersForTests:
    """One per test session: hands out addresses, starting servers on first request."""

    def __init__(self) -> None:
        self._docker: bool | None = None
        self._containers: list[Any] = []
        self._cache: dict[str, str] = {}

    def _use_docker(self) -> bool:
        if self._docker is None:
            self._docker = docker_answers()
        return self._docker

    def _get(self, env: str, from_docker: Callable[[], str], local: Callable[[], str]) -> str:
        if env not in self._cache:
            given = os.environ.get(env, "").strip()
            if given:
                self._cache[env] = given
            elif self._use_docker():
                self._cache[env] = from_docker()
            else:
                self._cache[env] = local()
        return self._cache[env]

    def kafka_bootstrap(self) -> str:
        address = self._get(
            ENV_KAFKA, self._docker_kafka, lambda: self._launch("kafka").kafka_bootstrap
        )
        run_coroutine(lambda: create_topics(address, PROJECT_TOPICS))
        return address

    def postgres_url(self) -> str:
        url = self._get(
            ENV_DATABASE, self._docker_postgres, lambda: self._launch("postgres").postgres_url
        )
        run_coroutine(lambda: ensure_databases(url, SERVICE_DATABASES))
        return url

    def redis_url(self) -> str:
        return self._get(ENV_REDIS, self._docker_redis, lambda: self._launch("redis").redis_url)

    @staticmethod
    def _launch(server: str) -> Endpoints:
        # Only the server asked for: a test that needs Redis alone does not wait for a JVM.
        return run_coroutine(lambda: ensure_up_async(names=[server]))

    def _docker_kafka(self) -> str:
        from testcontainers.community.kafka import KafkaContainer

        container = KafkaContainer(KAFKA_IMAGE).with_kraft().start()
        self._containers.append(container)
        return str(container.get_bootstrap_server())

    def _docker_postgres(self) -> str:
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer(
            POSTGRES_IMAGE, username="postgres", password="postgres", dbname="postgres", driver=None
        ).start()
        self._containers.append(container)
        return str(container.get_connection_url())

    def _docker_redis(self) -> str:
        from testcontainers.community.redis import RedisContainer

        container = RedisContainer(REDIS_IMAGE).start()
        self._containers.append(container)
        host = container.get_container_host_ip()
        return f"redis://{host}:{container.get_exposed_port(6379)}/0"

    def close(self) -> None:
        """Stop the containers this session started; launcher servers stay up for the next run."""
        while self._containers:
            self._containers.pop().stop()
