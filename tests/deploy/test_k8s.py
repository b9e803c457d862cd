"""deploy/k8s/: every object validates offline, and the custom resources of the operators
(Strimzi, KEDA, Gateway API), which no bundled schema covers, carry what the project relies on.
"""

from __future__ import annotations

import importlib.util
import posixpath
from typing import Any

import pytest

from crm_devstack.deploy_files import HTTP_ROUTE, K8S_GATEWAY, K8S_NAMESPACE
from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_schemas.topics import DLQ_TOPIC, EVENTS_TOPIC, PARTITIONS

from .manifests import K8S, find, k8s_documents, one

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
KAFKA_CLUSTER = "crm"
SECRETS = "crm-secrets"
CONFIG = "crm-config"
ACCOUNTS_SECRET = "crm-accounts"
# What every service needs from its environment, besides its own <SVC>_HTTP_HOST/PORT.
SECRET_KEYS = {"CRM_JWT_SECRET", "CRM_SERVICE_TOKEN", "DATABASE_URL", "REDIS_URL"}
CONFIG_KEYS = {"CRM_ENVIRONMENT", "CRM_ACCOUNTS_FILE", "KAFKA_BOOTSTRAP_SERVERS"}

DOCUMENTS = k8s_documents()
SERVICES = sorted(SERVICE_PORTS)


def test_every_manifest_file_parses_into_named_objects() -> None:
    assert {path.name for path in K8S.glob("*.yaml")} >= {
        "namespace.yaml",
        "config.yaml",
        "kafka.yaml",
        "gateway.yaml",
        HTTP_ROUTE.name,
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


def test_strimzi_kafka_runs_in_kraft_mode_with_a_node_pool(
    k8s_objects: list[dict[str, Any]],
) -> None:
    kafka = one(k8s_objects, "Kafka", KAFKA_CLUSTER)
    annotations = kafka["metadata"]["annotations"]
    assert annotations["strimzi.io/kraft"] == "enabled"
    assert annotations["strimzi.io/node-pools"] == "enabled"
    spec = kafka["spec"]
    assert "zookeeper" not in spec
    assert str(spec["kafka"]["version"]).startswith("4.")
    listeners = {listener["name"]: listener for listener in spec["kafka"]["listeners"]}
    assert listeners["plain"] == {"name": "plain", "port": 9092, "type": "internal", "tls": False}
    config = spec["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    assert config["min.insync.replicas"] < config["default.replication.factor"]
    assert "topicOperator" in spec["entityOperator"]

    (pool,) = find(k8s_objects, "KafkaNodePool")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == KAFKA_CLUSTER
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    assert pool["spec"]["replicas"] >= config["default.replication.factor"]
    assert pool["spec"]["storage"]["type"] in ("jbod", "persistent-claim")


def test_kafka_topics_have_the_project_partition_count_and_keep_everything(
    k8s_objects: list[dict[str, Any]],
) -> None:
    topics = {t["spec"]["topicName"]: t for t in find(k8s_objects, "KafkaTopic")}
    assert set(topics) == {EVENTS_TOPIC, DLQ_TOPIC}
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == KAFKA_CLUSTER
        spec = topic["spec"]
        assert spec["partitions"] == PARTITIONS == 12
        assert spec["replicas"] >= 2
        assert spec["config"]["retention.ms"] == -1
        assert spec["config"]["cleanup.policy"] == "delete"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_deployment_with_probes_resources_and_its_settings(
    k8s_objects: list[dict[str, Any]], name: str
) -> None:
    deployment = one(k8s_objects, "Deployment", name)
    spec = deployment["spec"]
    assert "replicas" not in spec, "KEDA owns the replica count"
    pod = spec["template"]["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = pod["containers"]
    port = SERVICE_PORTS[name]
    assert container["command"] == [f"crm-{name}"]
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env[f"{name.upper()}_HTTP_HOST"] == "0.0.0.0"
    assert env[f"{name.upper()}_HTTP_PORT"] == str(port)
    if name == "customers":
        assert env["CUSTOMERS_INGEST_URL"].startswith("http://ingest.")
        assert env["CUSTOMERS_INGEST_URL"].endswith(f":{SERVICE_PORTS['ingest']}")
    sources = container["envFrom"]
    assert {"configMapRef": {"name": CONFIG}} in sources
    assert {"secretRef": {"name": SECRETS}} in sources

    probes = {kind: container[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"] == {"path": "/health/live", "port": "http"}
    assert probes["readinessProbe"] == {"path": "/health/ready", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    resources = container["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]

    # The accounts file: the Secret's key mounted where CRM_ACCOUNTS_FILE points.
    accounts_file = one(k8s_objects, "ConfigMap", CONFIG)["data"]["CRM_ACCOUNTS_FILE"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
    secret = volumes["accounts"]["secret"]
    assert secret["secretName"] == ACCOUNTS_SECRET
    assert mounts["accounts"]["readOnly"] is True
    (item,) = secret["items"]
    assert posixpath.join(mounts["accounts"]["mountPath"], item["path"]) == accounts_file

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_config_map_holds_the_shared_settings(k8s_objects: list[dict[str, Any]]) -> None:
    data = one(k8s_objects, "ConfigMap", CONFIG)["data"]
    assert data.keys() >= CONFIG_KEYS
    assert data["CRM_ENVIRONMENT"] == "production"
    assert data["KAFKA_BOOTSTRAP_SERVERS"] == f"{KAFKA_CLUSTER}-kafka-bootstrap.crm.svc:9092"
    # Secrets never sit in the ConfigMap, and no Secret is committed.
    assert not data.keys() & SECRET_KEYS
    assert find(k8s_objects, "Secret") == []


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_cluster_service_on_its_port(
    k8s_objects: list[dict[str, Any]], name: str
) -> None:
    service = one(k8s_objects, "Service", name)
    deployment = one(k8s_objects, "Deployment", name)
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"] == [
        {"name": "http", "port": SERVICE_PORTS[name], "targetPort": "http"}
    ]


@pytest.mark.parametrize("name", SERVICES)
def test_each_consumer_scales_on_its_group_lag_up_to_the_partition_count(
    k8s_objects: list[dict[str, Any]], name: str
) -> None:
    scaled = one(k8s_objects, "ScaledObject", name)
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == name
    one(k8s_objects, "Deployment", spec["scaleTargetRef"]["name"])
    # More consumers than partitions would sit idle: the partitions bound the parallelism.
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= PARTITIONS
    (kafka,) = [t for t in spec["triggers"] if t["type"] == "kafka"]
    metadata = kafka["metadata"]
    bootstrap = one(k8s_objects, "ConfigMap", CONFIG)["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    assert metadata["bootstrapServers"] == bootstrap
    assert metadata["consumerGroup"] == name  # the group id is the service name
    assert metadata["topic"] == EVENTS_TOPIC
    assert int(metadata["lagThreshold"]) > 0
    assert metadata["offsetResetPolicy"] == "earliest"
    assert metadata.get("allowIdleConsumers", "false") == "false"
    for trigger in spec["triggers"]:
        assert all(isinstance(value, str) for value in trigger["metadata"].values())


def test_the_max_replica_count_says_why_in_a_comment() -> None:
    for name in SERVICES:
        text = (K8S / f"{name}.yaml").read_text(encoding="utf-8")
        before = text.split("maxReplicaCount:")[0].rsplit("\n", 4)[1:]
        assert any("partition" in line for line in before if line.strip().startswith("#"))


def test_the_httproute_hangs_off_the_gateway(k8s_objects: list[dict[str, Any]]) -> None:
    gateway = one(k8s_objects, "Gateway", K8S_GATEWAY)
    assert gateway["spec"]["gatewayClassName"]
    listeners = gateway["spec"]["listeners"]
    assert listeners
    assert all({"name", "protocol", "port"} <= set(item) for item in listeners)
    (route,) = find(k8s_objects, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"name": K8S_GATEWAY}]
    for rule in route["spec"]["rules"]:
        for backend in rule["backendRefs"]:
            one(k8s_objects, "Service", backend["name"])


# The fields of the custom resources' specs as their CRDs define them (Strimzi 0.48
# v1beta2, KEDA 2.x v1alpha1, Gateway API v1), so that a misspelt field fails here and not in
# the cluster's admission. Only the levels this project writes are listed.
KNOWN_FIELDS: dict[tuple[str, ...], set[str]] = {
    ("Kafka", "spec"): {
        "kafka",
        "zookeeper",
        "entityOperator",
        "clusterCa",
        "clientsCa",
        "cruiseControl",
        "jmxTrans",
        "kafkaExporter",
        "maintenanceTimeWindows",
    },
    ("Kafka", "spec", "kafka"): {
        "version",
        "metadataVersion",
        "replicas",
        "image",
        "listeners",
        "config",
        "storage",
        "authorization",
        "rack",
        "brokerRackInitImage",
        "livenessProbe",
        "readinessProbe",
        "jvmOptions",
        "jmxOptions",
        "resources",
        "metricsConfig",
        "logging",
        "template",
        "tieredStorage",
        "quotas",
    },
    ("Kafka", "spec", "entityOperator"): {
        "topicOperator",
        "userOperator",
        "tlsSidecar",
        "template",
    },
    ("KafkaNodePool", "spec"): {
        "replicas",
        "storage",
        "roles",
        "resources",
        "jvmOptions",
        "template",
    },
    ("KafkaTopic", "spec"): {"topicName", "partitions", "replicas", "config"},
    ("ScaledObject", "spec"): {
        "scaleTargetRef",
        "pollingInterval",
        "cooldownPeriod",
        "initialCooldownPeriod",
        "idleReplicaCount",
        "minReplicaCount",
        "maxReplicaCount",
        "fallback",
        "advanced",
        "triggers",
    },
    ("ScaledObject", "spec", "advanced"): {
        "horizontalPodAutoscalerConfig",
        "restoreToOriginalReplicaCount",
        "scalingModifiers",
    },
    ("Gateway", "spec"): {
        "gatewayClassName",
        "listeners",
        "addresses",
        "infrastructure",
        "backendTLS",
        "allowedListeners",
    },
    ("HTTPRoute", "spec"): {"parentRefs", "hostnames", "rules"},
}
KAFKA_TRIGGER_FIELDS = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "version",
    "partitionLimitation",
    "sasl",
    "tls",
    "unsafeSsl",
    "ensureEvenDistributionOfPartitions",
}
HTTP_ROUTE_RULE_FIELDS = {
    "name",
    "matches",
    "filters",
    "backendRefs",
    "timeouts",
    "retry",
    "sessionPersistence",
}
HTTP_ROUTE_MATCH_FIELDS = {"path", "headers", "queryParams", "method"}


def test_custom_resources_use_only_fields_their_crds_define(
    k8s_objects: list[dict[str, Any]],
) -> None:
    for (kind, *path), known in KNOWN_FIELDS.items():
        for resource in find(k8s_objects, kind):
            node: Any = resource
            for key in path:
                node = node[key]
            unknown = set(node) - known
            assert not unknown, f"{kind} {resource['metadata']['name']}: {'.'.join(path)} {unknown}"
    for scaled in find(k8s_objects, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            assert set(trigger) <= {
                "type",
                "metadata",
                "metricType",
                "name",
                "authenticationRef",
                "useCachedMetrics",
            }
            if trigger["type"] == "kafka":
                assert set(trigger["metadata"]) <= KAFKA_TRIGGER_FIELDS
    for route in find(k8s_objects, "HTTPRoute"):
        for rule in route["spec"]["rules"]:
            assert set(rule) <= HTTP_ROUTE_RULE_FIELDS
            for match in rule["matches"]:
                assert set(match) <= HTTP_ROUTE_MATCH_FIELDS
            if "timeouts" in rule:
                assert set(rule["timeouts"]) <= {"request", "backendRequest"}
