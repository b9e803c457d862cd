"""deploy/k8s/<service>.yaml: each service's Deployment (probes, resources, settings, the accounts
file), its cluster Service, and the KEDA ScaledObject that scales its consumer on group lag."""

from __future__ import annotations

import posixpath
from typing import Any

import pytest

from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_schemas.topics import EVENTS_TOPIC, PARTITIONS

from .manifests import ACCOUNTS_SECRET, CONFIG, K8S, SECRETS, SERVICES, one


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
