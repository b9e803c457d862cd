"""deploy/compose.yaml: complete and consistent, checked from the file itself.

`docker compose config` would be the natural check, but this machine has no Docker engine and
no compose plugin, so the test that runs it skips here; the tests below and test_compose_services
check the structure (services, healthchecks, environment, depends_on, ports, the gateway's
config) and resolve compose's variable interpolation the way compose does (compose_file).
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

from crm_servicekit.accounts import parse_accounts

from .compose_file import (
    APP_SERVICES,
    ENVIRONMENT,
    VARIABLE,
    MissingVariable,
    healthcheck_command,
    interpolate,
    without_comments,
)
from .manifests import COMPOSE, DEPLOY

INFRA_SERVICES = {"kafka", "kafka-init", "postgres", "redis", "gateway"}

REQUIRED_VARIABLES = {
    "CRM_JWT_SECRET",
    "CRM_SERVICE_TOKEN",
    "POSTGRES_PASSWORD",
    "CRM_ACCOUNTS_PATH",
}


def test_every_dollar_is_an_interpolation_or_an_escaped_dollar() -> None:
    text = without_comments(COMPOSE.read_text(encoding="utf-8"))
    without_variables = VARIABLE.sub("", text.replace("$$", ""))
    # A bare $NAME would be replaced by compose (usually with nothing) instead of reaching the
    # shell of a container: write $$NAME.
    assert "$" not in without_variables


def test_secrets_are_required_variables_and_none_is_committed(compose: dict[str, Any]) -> None:
    text = without_comments(COMPOSE.read_text(encoding="utf-8"))
    required = {m["name"] for m in VARIABLE.finditer(text) if m["op"] in (":?", "?")}
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
            assert healthcheck_command(service), name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            expected = (
                "service_completed_successfully"
                if dependency == "kafka-init"
                else "service_healthy"
            )
            assert condition == {"condition": expected}, (name, dependency)


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
