"""deploy/compose.yaml: complete and consistent, checked from the file itself.

`docker compose config` would be the natural check, but this machine has no Docker engine and
no compose plugin, so the test that runs it skips here; the tests below check the structure
(services, healthchecks, environment, depends_on, ports, the gateway's config) and resolve
compose's variable interpolation the way compose does.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from crm_devstack import deploy_files
from crm_devstack.gateway_routes import GATEWAY_PORT, SERVICE_PORTS
from crm_schemas.topics import DLQ_TOPIC, EVENTS_TOPIC, PARTITIONS
from crm_servicekit.accounts import parse_accounts

from .manifests import COMPOSE, DEPLOY, ROOT

APP_SERVICES = sorted(SERVICE_PORTS)
INFRA_SERVICES = {"kafka", "kafka-init", "postgres", "redis", "gateway"}
REQUIRED_VARIABLES = {
    "CRM_JWT_SECRET",
    "CRM_SERVICE_TOKEN",
    "POSTGRES_PASSWORD",
    "CRM_ACCOUNTS_PATH",
}
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
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(KeyError):
    pass


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}; $$ is a literal $."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = environment.get(name)
        if op in (":?", "?") and not current:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and not current:
            return str(arg)
        return current or ""

    pieces = value.split("$$")
    return "$".join(_VARIABLE.sub(substitute, piece) for piece in pieces)


ENVIRONMENT = {
    "CRM_JWT_SECRET": "x7Qp2LmN9vR4tY8wZ1aB3cD5eF6gH0jK",
    "CRM_SERVICE_TOKEN": "s9Tk3Wq7Er1Yu5Io2Pa4Sd6Fg8Hj0Kl",
    "POSTGRES_PASSWORD": "pg3Xv8Rm2Lq",
    "CRM_ACCOUNTS_PATH": "/etc/crm/accounts.yaml",
}


@pytest.fixture(scope="module")
def resolved(compose: dict[str, Any]) -> dict[str, Any]:
    document = interpolate(compose, ENVIRONMENT)
    assert isinstance(document, dict)
    return document


def _healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_every_dollar_is_an_interpolation_or_an_escaped_dollar() -> None:
    text = _without_comments(COMPOSE.read_text(encoding="utf-8"))
    without_variables = _VARIABLE.sub("", text.replace("$$", ""))
    # A bare $NAME would be replaced by compose (usually with nothing) instead of reaching the
    # shell of a container: write $$NAME.
    assert "$" not in without_variables


def test_secrets_are_required_variables_and_none_is_committed(compose: dict[str, Any]) -> None:
    text = _without_comments(COMPOSE.read_text(encoding="utf-8"))
    required = {m["name"] for m in _VARIABLE.finditer(text) if m["op"] in (":?", "?")}
    assert required == REQUIRED_VARIABLES
    for variable in REQUIRED_VARIABLES:
        without = {k: v for k, v in ENVIRONMENT.items() if k != variable}
        with pytest.raises(MissingVariable, match=variable):
            interpolate(compose, without)


def test_the_stack_has_the_servers_the_services_and_the_gateway(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == INFRA_SERVICES | set(APP_SERVICES)
    assert set(compose) <= {"name", "services", "configs", "secrets", "volumes", "networks"} | {
        key for key in compose if key.startswith("x-")
    }


def test_every_long_running_service_has_a_healthcheck_and_dependencies_exist(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    for name, service in services.items():
        if name != "kafka-init":
            assert _healthcheck_command(service), name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            expected = (
                "service_completed_successfully"
                if dependency == "kafka-init"
                else "service_healthy"
            )
            assert condition == {"condition": expected}, (name, dependency)


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

    assert f"http://127.0.0.1:{port}/health/ready" in _healthcheck_command(service)
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
    assert "pg_isready" in _healthcheck_command(postgres)


def test_redis_keeps_nothing_on_disk(resolved: dict[str, Any]) -> None:
    redis = resolved["services"]["redis"]
    assert redis["command"] == ["redis-server", "--save", "", "--appendonly", "no"]
    assert "ping" in _healthcheck_command(redis)


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
    assert "/gateway/health" in _healthcheck_command(gateway)


def test_the_accounts_file_is_a_secret_from_a_required_path(compose: dict[str, Any]) -> None:
    (secret,) = compose["secrets"].values()
    assert compose["secrets"] == {"crm_accounts": secret}
    assert secret["file"].startswith("${CRM_ACCOUNTS_PATH:?")


def test_every_yaml_file_under_deploy_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
    assert COMPOSE in files
    for path in files:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        assert any(document is not None for document in documents), path


@pytest.mark.parametrize("interpolated", [False, True], ids=["as-written", "interpolated"])
def test_compose_validates_against_the_compose_specification(
    compose: dict[str, Any], resolved: dict[str, Any], interpolated: bool
) -> None:
    """The Compose Specification's JSON schema, as vendored by check-jsonschema (offline)."""
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip(
            "check-jsonschema is not installed (it is not a dev dependency yet); run "
            "`uv run --with check-jsonschema==0.39.0 pytest tests/deploy`"
        )
    import check_jsonschema
    import jsonschema

    vendored = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"
    schema = json.loads((vendored / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    document = resolved if interpolated else compose
    errors = [error.message for error in validator.iter_errors(document)]
    assert errors == []


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(
    not _compose_available(),
    reason="no `docker compose` here (no Docker engine, no compose plugin); "
    "the structure tests above stand in for it",
)
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("accounts: []\n", encoding="utf-8")
    environment = {**os.environ, **ENVIRONMENT, "CRM_ACCOUNTS_PATH": str(accounts)}
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_readmes_accounts_example_is_a_valid_accounts_file() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    (example,) = [block for block in blocks if block.startswith("accounts:")]
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    document = yaml.safe_load(re.sub(r"whsec_<[^>]*>", secret, example))
    accounts = parse_accounts(document, source="deploy/README.md")
    (account,) = accounts
    assert account.default_region == "NO"
    assert account.quiet_hours is not None
