"""deploy/gateway/nginx.conf and deploy/k8s/httproute.yaml are generated from the routing table
and current, and the HTTPRoute sends the API's methods and paths where the table does."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_md_paths import API_PATHS

from crm_devstack import deploy_files
from crm_devstack.gateway_routes import ROUTES, SERVICE_PORTS, service_for

from .gateway_api import gateway_api_backend
from .manifests import ROOT

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOT_ROUTED = ["/internal/identities/claim", "/api/nothing-here", "/api/customersx", "/"]


@pytest.fixture(scope="module")
def checked_in_route() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / deploy_files.HTTP_ROUTE).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_checked_in_generated_files_are_current() -> None:
    stale = deploy_files.stale_files(ROOT)
    assert stale == [], (
        f"{[str(p) for p in stale]} differ from the routing table; run "
        "`uv run python -m crm_devstack.deploy_files` and commit the result"
    )


def test_check_mode_names_a_stale_file_and_writing_makes_it_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The manifests whose thresholds are generated are written by hand: copy deploy/ over.
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    (tmp_path / deploy_files.NGINX_CONF).unlink()
    assert deploy_files.main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: deploy/gateway/nginx.conf" in capsys.readouterr().err
    assert deploy_files.main(["--root", str(tmp_path)]) == 0
    assert deploy_files.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / deploy_files.HTTP_ROUTE).write_text("# edited by hand\n", encoding="utf-8")
    assert deploy_files.stale_files(tmp_path) == [deploy_files.HTTP_ROUTE]


def test_compose_nginx_conf_proxies_to_the_compose_services_and_listens_on_all_addresses() -> None:
    conf = (ROOT / deploy_files.NGINX_CONF).read_text(encoding="utf-8")
    for name, port in SERVICE_PORTS.items():
        assert f"upstream {name} {{ server {name}:{port}; keepalive 16; }}" in conf
    assert "listen 0.0.0.0:8000;" in conf
    assert "daemon off;" in conf  # the container's main process
    for route in ROUTES:
        assert f" {'=' if route.exact else '^~'} {route.path} {{" in conf


@pytest.mark.parametrize(("method", "path", "service"), API_PATHS)
def test_httproute_sends_each_api_path_to_its_owner(
    checked_in_route: dict[str, Any], method: str, path: str, service: str
) -> None:
    assert service_for(method, path) == service
    assert gateway_api_backend(checked_in_route, method, path) == service


def test_httproute_agrees_with_the_routing_table_for_every_method(
    checked_in_route: dict[str, Any],
) -> None:
    paths = {path for _, path, _ in API_PATHS} | {route.path for route in ROUTES}
    for path in sorted(paths):
        for method in METHODS:
            assert gateway_api_backend(checked_in_route, method, path) == service_for(
                method, path
            ), (method, path)


def test_internal_and_unknown_paths_have_no_rule(checked_in_route: dict[str, Any]) -> None:
    for path in NOT_ROUTED:
        for method in METHODS:
            assert gateway_api_backend(checked_in_route, method, path) is None, (method, path)


def test_httproute_backends_are_the_services_on_their_ports(
    checked_in_route: dict[str, Any],
) -> None:
    rules = checked_in_route["spec"]["rules"]
    assert 0 < len(rules) <= 16  # Gateway API's limit of rules per HTTPRoute
    assert sum(len(rule["matches"]) for rule in rules) <= 128
    for rule in rules:
        (backend,) = rule["backendRefs"]
        assert backend["port"] == SERVICE_PORTS[backend["name"]]
        for match in rule["matches"]:
            assert match["path"]["type"] in ("Exact", "PathPrefix")
            assert match["path"]["value"].startswith("/api/")


def test_the_event_stream_has_no_request_timeout(checked_in_route: dict[str, Any]) -> None:
    streaming = [route.path for route in ROUTES if route.streaming]
    assert streaming == ["/api/ticker/stream"]
    (rule,) = [
        rule
        for rule in checked_in_route["spec"]["rules"]
        if any(m["path"]["value"] in streaming for m in rule["matches"])
    ]
    assert rule["timeouts"] == {"request": "0s"}
