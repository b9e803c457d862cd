"""deploy/compose.yaml, service by service: the five services' commands, settings and
dependencies, Kafka and the topics kafka-init creates, PostgreSQL, Redis and the gateway."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from crm_devstack import deploy_files
from crm_devstack.gateway_routes import GATEWAY_PORT, SERVICE_PORTS
from crm_schemas.topics import DLQ_RESOLVED_TOPIC, DLQ_TOPIC, EVENTS_TOPIC, PARTITIONS

from .compose_file import (
    APP_SERVICES,
    ENVIRONMENT,
    healthcheck_command,
)
from .manifests import DEPLOY, ROOT

# What every service reads from its environment (crm_servicekit.settings), besides its own
# <SVC>_HTTP_HOST and <SVC>_HTTP_PORT.
SHARED_ENV = {
    "CRM_ENVIRONMENT",
    "CRM_JWT_SECRET",
    "CRM_SERVICE_TOKEN",
    "CRM_ACCOUNTS_FILE",
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "REDIS_URL",
}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_runs_its_command_with_its_settings_and_waits_for_its_servers(
    resolved: dict[str, Any], name: str
) -> None:
    service = resolved["services"][name]
    port = SERVICE_PORTS[name]
    assert service["command"] == [f"crm-{name}"]
    build = service["build"]
    assert (DEPLOY / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).is_file()

    env = service["environment"]
    assert env.keys() >= SHARED_ENV
    assert env["CRM_ENVIRONMENT"] == "production"
    assert env[f"{name.upper()}_HTTP_HOST"] == "0.0.0.0"
    assert env[f"{name.upper()}_HTTP_PORT"] == str(port)
    assert env["CRM_JWT_SECRET"] == ENVIRONMENT["CRM_JWT_SECRET"]
    assert env["CRM_ACCOUNTS_FILE"] == "/run/secrets/crm_accounts"
    assert "crm_accounts" in service["secrets"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    password = ENVIRONMENT["POSTGRES_PASSWORD"]
    assert env["DATABASE_URL"] == f"postgresql://crm:{password}@postgres:5432/postgres"
    if name == "customers":
        assert env["CUSTOMERS_INGEST_URL"] == f"http://ingest:{SERVICE_PORTS['ingest']}"
        assert service["depends_on"]["ingest"] == {"condition": "service_healthy"}

    assert f"http://127.0.0.1:{port}/health/ready" in healthcheck_command(service)
    assert service["expose"] == [str(port)]
    # Not published on the host, so `--scale` can run several replicas.
    assert "ports" not in service
    assert "container_name" not in service
    depends_on = service["depends_on"]
    assert {"postgres", "redis", "kafka-init"} <= depends_on.keys()


def test_kafka_is_one_kraft_node_and_the_services_reach_it(resolved: dict[str, Any]) -> None:
    kafka = resolved["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for key, value in env.items():
        if key.endswith(("_REPLICATION_FACTOR", "_MIN_ISR")):
            assert value == 1, key
    # The storage format needs a cluster id that is a base64url-encoded UUID.
    cluster_id = env["CLUSTER_ID"]
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert any(volume.endswith(":" + env["KAFKA_LOG_DIRS"]) for volume in kafka["volumes"])


def test_kafka_init_creates_the_topics_with_the_partition_count_and_checks_it(
    resolved: dict[str, Any],
) -> None:
    init = resolved["services"]["kafka-init"]
    assert init["image"] == resolved["services"]["kafka"]["image"]
    assert init["restart"] == "no"
    script = "\n".join(init["command"])
    assert f"for topic in {EVENTS_TOPIC} {DLQ_TOPIC}; do" in script
    assert f"--partitions {PARTITIONS} " in script
    assert "--config retention.ms=-1" in script
    assert "--if-not-exists" in script
    assert f"PartitionCount:[[:space:]]*{PARTITIONS}(" in script
    # $$ in the file reaches the shell as $.
    assert '--topic "$topic"' in script
    assert f"--topic {DLQ_RESOLVED_TOPIC} --partitions 1" in script
    assert "--config cleanup.policy=compact" in script


def test_postgres_15_creates_one_database_per_service(resolved: dict[str, Any]) -> None:
    postgres = resolved["services"]["postgres"]
    assert postgres["image"].split(":")[1].startswith("15")
    assert postgres["environment"]["POSTGRES_USER"] == "crm"
    assert postgres["environment"]["POSTGRES_PASSWORD"] == ENVIRONMENT["POSTGRES_PASSWORD"]
    (config,) = postgres["configs"]
    assert config["target"].startswith("/docker-entrypoint-initdb.d/")
    assert config["target"].endswith(".sql")
    script = resolved["configs"][config["source"]]["content"]
    statements = {line.strip() for line in script.splitlines() if line.strip()}
    assert statements == {f"CREATE DATABASE {name};" for name in SERVICE_PORTS}
    assert "pg_isready" in healthcheck_command(postgres)


def test_redis_keeps_nothing_on_disk(resolved: dict[str, Any]) -> None:
    redis = resolved["services"]["redis"]
    assert redis["command"] == ["redis-server", "--save", "", "--appendonly", "no"]
    assert "ping" in healthcheck_command(redis)


def test_the_gateway_serves_the_generated_config_on_8000_after_the_services(
    resolved: dict[str, Any],
) -> None:
    gateway = resolved["services"]["gateway"]
    assert gateway["image"].startswith("nginx:")
    (config,) = gateway["configs"]
    source = resolved["configs"][config["source"]]["file"]
    assert (DEPLOY / source).resolve() == (ROOT / deploy_files.NGINX_CONF).resolve()
    script = "\n".join(gateway["command"])
    assert f"exec nginx -c {config['target']}" in script
    # nginx creates its temp folders but not their parent; the logs go to the container output.
    assert f"mkdir -p {deploy_files.CONTAINER_HOME / 'tmp'}" in script
    assert gateway["ports"] == [f"{GATEWAY_PORT}:{GATEWAY_PORT}"]
    conf = (ROOT / deploy_files.NGINX_CONF).read_text(encoding="utf-8")
    assert f"listen 0.0.0.0:{GATEWAY_PORT};" in conf
    assert gateway["depends_on"] == {
        name: {"condition": "service_healthy"} for name in APP_SERVICES
    }
    assert "/gateway/health" in healthcheck_command(gateway)


def test_the_gateway_serves_the_console_build_where_its_config_looks(
    resolved: dict[str, Any],
) -> None:
    gateway = resolved["services"]["gateway"]
    (mount,) = gateway["volumes"]
    source, target, mode = str(mount).split(":")
    assert (DEPLOY / source).resolve() == (ROOT / "console" / "dist").resolve()
    assert (target, mode) == (str(deploy_files.CONTAINER_CONSOLE), "ro")
    conf = (ROOT / deploy_files.NGINX_CONF).read_text(encoding="utf-8")
    assert f"root {deploy_files.CONTAINER_CONSOLE};" in conf
