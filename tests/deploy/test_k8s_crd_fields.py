"""deploy/k8s/: the custom resources (Strimzi, KEDA, Gateway API), which no bundled schema covers,
use only fields their CRDs define."""

from __future__ import annotations

from typing import Any

from .manifests import find

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
