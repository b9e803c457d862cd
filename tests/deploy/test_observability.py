"""deploy/observability/: the alert rules pass promtool (its check and the rules' unit tests),
the dashboard loads and its queries parse and use only metrics the services serve, and a
PodMonitor scrapes each service's pods on their HTTP port."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .manifests import DEPLOY, SERVICES, one
from .observability_files import (
    ALERTS,
    ALERTS_TEST,
    OBSERVABILITY,
    PODMONITORS,
    PROMETHEUS_OWN,
    dashboard,
    dashboard_expressions,
    metric_names,
    panels,
    promtool,
    rule_groups,
    served_metric_names,
    write_rules_file,
)


def run_promtool(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    return served_metric_names(tmp_path_factory.mktemp("apps"))


def test_the_alert_rules_pass_promtool_check_and_their_unit_tests(tmp_path: Path) -> None:
    rules = write_rules_file(tmp_path, rule_groups())
    checked = run_promtool("check", "rules", str(rules), cwd=tmp_path)
    assert "SUCCESS" in checked
    shutil.copy(ALERTS_TEST, tmp_path / ALERTS_TEST.name)
    tested = run_promtool("test", "rules", ALERTS_TEST.name, cwd=tmp_path)
    assert "SUCCESS" in tested


def test_the_alert_rules_cover_what_an_operator_is_paged_for() -> None:
    alerts = {
        rule["alert"] for group in rule_groups() for rule in group["rules"] if "alert" in rule
    }
    assert {
        "CrmConsumerLagHigh",
        "CrmConsumerStalled",
        "CrmDeadLettersGrowing",
        "CrmHttp5xxRatioHigh",
        "CrmServiceNotReady",
        "CrmOutboxNotDraining",
    } <= alerts
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    assert document["apiVersion"] == "monitoring.coreos.com/v1"
    assert document["kind"] == "PrometheusRule"
    assert set(document["spec"]) == {"groups"}


def test_the_alert_rules_use_only_served_metrics(served: set[str]) -> None:
    rules = [rule for group in rule_groups() for rule in group["rules"]]
    recorded = {rule["record"] for rule in rules if "record" in rule}
    for rule in rules:
        unknown = metric_names(rule["expr"]) - served - recorded - PROMETHEUS_OWN
        assert not unknown, f"{rule.get('alert') or rule['record']} uses {sorted(unknown)}"


def test_the_dashboard_queries_parse(tmp_path: Path) -> None:
    # promtool parses PromQL when it checks rules: each query becomes a recording rule.
    queries = [
        {"record": f"dashboard:query_{n}", "expr": expression}
        for n, (_, expression) in enumerate(dashboard_expressions(dashboard()))
    ]
    rules = write_rules_file(tmp_path, [{"name": "dashboard", "rules": queries}])
    assert f"SUCCESS: {len(queries)} rules found" in run_promtool(
        "check", "rules", str(rules), cwd=tmp_path
    )


def test_every_dashboard_panel_uses_only_served_metrics(served: set[str]) -> None:
    board = dashboard()
    expressions = dashboard_expressions(board)
    assert len(expressions) >= 12
    for title, expression in expressions:
        used = metric_names(expression)
        assert used, f"{title!r}: no metric in {expression!r}"
        assert used <= served, f"{title!r} uses {sorted(used - served)}, which no service serves"
    # The panels the operators asked for are all there.
    titles = " | ".join(panel["title"].lower() for panel in panels(board))
    for subject in ("request rate", "5xx", "p99", "lag", "dead letter", "outbox", "scheduler"):
        assert subject in titles, subject
    assert "pool" in titles
    assert "readiness" in titles


def test_the_metric_name_reader_finds_selectors_not_functions_or_labels() -> None:
    expression = (
        'sum by (service, le) (rate(crm_a_bucket{status=~"5..",x="y z"}[5m])) / on (service)'
        " group_left max without (pod) (crm_b) unless crm_c offset 5m > bool 0.5"
    )
    assert metric_names(expression) == {"crm_a_bucket", "crm_b", "crm_c"}


def podmonitors() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(PODMONITORS.read_text(encoding="utf-8")) if d]


# The fields of a PodMonitor this project writes, as the Prometheus Operator's v1 CRD names
# them, so that a misspelt field fails here and not in the cluster's admission.
PODMONITOR_SPEC = {"jobLabel", "namespaceSelector", "selector", "podMetricsEndpoints"}
ENDPOINT_FIELDS = {"port", "path", "interval"}


def test_a_podmonitor_scrapes_each_service_on_its_http_port(
    k8s_objects: list[dict[str, Any]],
) -> None:
    monitors = podmonitors()
    assert sorted(m["metadata"]["name"] for m in monitors) == SERVICES
    for monitor in monitors:
        name = monitor["metadata"]["name"]
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["kind"] == "PodMonitor"
        assert set(monitor["spec"]) <= PODMONITOR_SPEC, name
        deployment = one(k8s_objects, "Deployment", name)
        namespace = deployment["metadata"]["namespace"]
        assert monitor["metadata"]["namespace"] == namespace
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": [namespace]}
        template = deployment["spec"]["template"]
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items(), name
        others = [
            d["metadata"]["name"]
            for d in k8s_objects
            if d.get("kind") == "Deployment"
            and d["metadata"]["name"] != name
            and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert not others, f"{name}'s PodMonitor also selects {others}"
        # The job label is the service's name, which the pod label holds.
        assert template["metadata"]["labels"][monitor["spec"]["jobLabel"]] == name
        ports = {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            assert set(endpoint) <= ENDPOINT_FIELDS, name
            assert endpoint["port"] in ports, name
            assert endpoint["path"] == "/metrics"


def test_the_readme_names_served_metrics_and_existing_files(served: set[str]) -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Observability", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\bcrm_[a-z_]+", section))
    assert named, "the section names the metrics"
    assert named <= served, f"named but not served: {sorted(named - served)}"
    for file in re.findall(r"`([a-z_]+\.(?:yaml|json))`", section):
        assert (OBSERVABILITY / file).is_file(), file
    for path in re.findall(r"deploy/observability/([a-z_]+\.(?:yaml|json))", section):
        assert (OBSERVABILITY / path).is_file(), path
