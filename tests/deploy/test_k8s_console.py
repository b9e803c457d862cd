"""The web console on Kubernetes (deploy/k8s/console.yaml, deploy/console/): the HTTPRoute
crm-console takes every path the API's route leaves, to a Deployment of the console image,
whose nginx serves the console's build as the gateway does locally (that nginx is run in
tests/devstack/test_console_server.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_md_paths import API_PATHS

from crm_devstack import deploy_files
from crm_devstack.deploy_files import CONSOLE_NGINX_CONF, CONSOLE_PORT, CONSOLE_TEMP

from .gateway_api import gateway_api_backend
from .manifests import CONSOLE, CONSOLE_ROUTE, DEPLOY, ROOT, find, one

DOCKERFILE = DEPLOY / "console" / "Dockerfile"
DOCKERIGNORE = DEPLOY / "console" / "Dockerfile.dockerignore"
CONSOLE_PATHS = ["/", "/customers/4f1c", "/settings", "/assets/index-abc123.js"]
# Not an API route: the console's nginx answers them, /api ones with the API's 404.
UNKNOWN_PATHS = ["/api/nothing-here", "/api/customersx", "/internal/identities/claim"]


@pytest.fixture(scope="module")
def both_routes(k8s_objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The rules of crm-api and crm-console together, as the Gateway ranks them."""
    rules = [rule for route in find(k8s_objects, "HTTPRoute") for rule in route["spec"]["rules"]]
    return {"spec": {"rules": rules}}


def test_the_console_route_takes_the_root_prefix_to_the_console_service(
    k8s_objects: list[dict[str, Any]],
) -> None:
    route = one(k8s_objects, "HTTPRoute", CONSOLE_ROUTE)
    (rule,) = route["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rule["backendRefs"] == [{"name": CONSOLE, "port": CONSOLE_PORT}]
    service = one(k8s_objects, "Service", CONSOLE)
    assert service["spec"]["ports"] == [
        {"name": "http", "port": CONSOLE_PORT, "targetPort": "http"}
    ]


@pytest.mark.parametrize(("method", "path", "service"), API_PATHS)
def test_every_api_path_still_reaches_its_owner_beside_the_console(
    both_routes: dict[str, Any], method: str, path: str, service: str
) -> None:
    assert gateway_api_backend(both_routes, method, path) == service


def test_every_other_path_reaches_the_console(both_routes: dict[str, Any]) -> None:
    for path in CONSOLE_PATHS + UNKNOWN_PATHS:
        for method in ("GET", "POST"):
            assert gateway_api_backend(both_routes, method, path) == CONSOLE, (method, path)


def test_the_console_deployment_runs_the_console_image_read_only(
    k8s_objects: list[dict[str, Any]],
) -> None:
    deployment = one(k8s_objects, "Deployment", CONSOLE)
    spec = deployment["spec"]
    service = one(k8s_objects, "Service", CONSOLE)
    assert service["spec"]["selector"] == spec["selector"]["matchLabels"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert spec["replicas"] >= 2
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"].startswith("crm-console:")
    assert container["ports"] == [{"name": "http", "containerPort": CONSOLE_PORT}]
    conf = (ROOT / CONSOLE_NGINX_CONF).read_text(encoding="utf-8")
    for probe in ("livenessProbe", "readinessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert f"location = {path} " in conf or path == "/index.html", probe
    # The image's user, and a read-only root but for the folder nginx writes to.
    user = re.search(r"^USER (\d+):(\d+)$", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert user is not None
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == user[1]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == str(CONSOLE_TEMP)
    assert {"name": mount["name"], "emptyDir": {}} in pod["volumes"]


def test_the_console_image_serves_the_build_with_the_generated_configuration() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert "RUN cd console && npm ci" in dockerfile
    assert "RUN cd console && npm run build" in dockerfile
    assert f"COPY {CONSOLE_NGINX_CONF} /etc/nginx/crm-console.conf" in dockerfile
    console = deploy_files.CONTAINER_CONSOLE
    assert f"COPY --from=build /src/console/dist {console}" in dockerfile
    assert f"EXPOSE {CONSOLE_PORT}" in dockerfile
    assert '"-c", "/etc/nginx/crm-console.conf"]' in dockerfile
    conf = (ROOT / CONSOLE_NGINX_CONF).read_text(encoding="utf-8")
    assert f"listen {CONSOLE_PORT};" in conf
    # The console part of the gateway's own configuration, as it is.
    gateway = (ROOT / deploy_files.NGINX_CONF).read_text(encoding="utf-8")
    console_part = gateway[gateway.index(f"        root {console};") :].rsplit("    }\n}", 1)[0]
    assert console_part in conf
    assert "try_files $uri /index.html;" in console_part
    ignored = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    assert ignored[ignored.index("*") + 1 :][:3] == [
        "!console/",
        "!services/ingest/crm_ingest/published/openapi.json",
        f"!{CONSOLE_NGINX_CONF}",
    ]
    assert {"console/node_modules", "console/dist"} <= set(ignored)
