"""deploy/k8s/: every object parses, the built-in ones validate offline against Kubernetes'
schemas, only the expected custom resources are used, the ConfigMap holds the shared settings,
and the HTTPRoute hangs off the Gateway. Kafka, each service, and the fields of the custom
resources (Strimzi, KEDA, Gateway API) have test_k8s_kafka, _services and _crd_fields.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from crm_devstack.deploy_files import HTTP_ROUTE, K8S_GATEWAY, K8S_NAMESPACE, K8S_ROUTE

from .manifests import (
    CONFIG,
    CONSOLE_ROUTE,
    K8S,
    KAFKA_CLUSTER,
    SERVICES,
    find,
    k8s_documents,
    one,
)

KUBERNETES_VERSION = "1.37.0"

# Custom resources: their operators' CRDs are not in kubernetes-validate's bundled schemas.
CUSTOM_KINDS = {
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("gateway.networking.k8s.io/v1", "Gateway"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
}

# What every service needs from its environment, besides its own <SVC>_HTTP_HOST/PORT.
SECRET_KEYS = {"CRM_JWT_SECRET", "CRM_SERVICE_TOKEN", "DATABASE_URL", "REDIS_URL"}

CONFIG_KEYS = {"CRM_ENVIRONMENT", "CRM_ACCOUNTS_FILE", "KAFKA_BOOTSTRAP_SERVERS"}

DOCUMENTS = k8s_documents()


def test_every_manifest_file_parses_into_named_objects() -> None:
    assert {path.name for path in K8S.glob("*.yaml")} >= {
        "namespace.yaml",
        "config.yaml",
        "kafka.yaml",
        "gateway.yaml",
        HTTP_ROUTE.name,
        "console.yaml",
        *(f"{name}.yaml" for name in SERVICES),
    }
    for filename, document in DOCUMENTS:
        assert isinstance(document, dict), filename
        assert {"apiVersion", "kind", "metadata"} <= document.keys(), filename
        assert document["metadata"]["name"], filename
        if document["kind"] != "Namespace":
            assert document["metadata"].get("namespace") == K8S_NAMESPACE, filename


@pytest.mark.parametrize(
    ("filename", "document"),
    [(f, d) for f, d in DOCUMENTS if (d["apiVersion"], d["kind"]) not in CUSTOM_KINDS],
    ids=lambda value: value if isinstance(value, str) else value["kind"],
)
def test_builtin_objects_validate_against_the_kubernetes_schemas(
    filename: str, document: dict[str, Any]
) -> None:
    if importlib.util.find_spec("kubernetes_validate") is None:
        pytest.skip(
            "kubernetes-validate is not installed (it is not a dev dependency yet); run "
            "`uv run --with kubernetes-validate==1.37.0 pytest tests/deploy`"
        )
    import kubernetes_validate

    # Strict: an unknown or misspelt field fails too, not only a missing or mistyped one.
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_only_the_expected_custom_resources_are_used() -> None:
    used = {(d["apiVersion"], d["kind"]) for _, d in DOCUMENTS}
    builtin = used - CUSTOM_KINDS
    assert {kind for _, kind in builtin} <= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    }
    assert used >= CUSTOM_KINDS


def test_the_config_map_holds_the_shared_settings(k8s_objects: list[dict[str, Any]]) -> None:
    data = one(k8s_objects, "ConfigMap", CONFIG)["data"]
    assert data.keys() >= CONFIG_KEYS
    assert data["CRM_ENVIRONMENT"] == "production"
    assert data["KAFKA_BOOTSTRAP_SERVERS"] == f"{KAFKA_CLUSTER}-kafka-bootstrap.crm.svc:9092"
    # Secrets never sit in the ConfigMap, and no Secret is committed.
    assert not data.keys() & SECRET_KEYS
    assert find(k8s_objects, "Secret") == []


def test_the_httproute_hangs_off_the_gateway(k8s_objects: list[dict[str, Any]]) -> None:
    gateway = one(k8s_objects, "Gateway", K8S_GATEWAY)
    assert gateway["spec"]["gatewayClassName"]
    listeners = gateway["spec"]["listeners"]
    assert listeners
    assert all({"name", "protocol", "port"} <= set(item) for item in listeners)
    # The API's (generated) and the console's, which takes every path the API's do not.
    routes = find(k8s_objects, "HTTPRoute")
    assert sorted(route["metadata"]["name"] for route in routes) == [K8S_ROUTE, CONSOLE_ROUTE]
    for route in routes:
        assert route["spec"]["parentRefs"] == [{"name": K8S_GATEWAY}]
        for rule in route["spec"]["rules"]:
            for backend in rule["backendRefs"]:
                one(k8s_objects, "Service", backend["name"])
