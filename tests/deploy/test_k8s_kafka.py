"""deploy/k8s/kafka.yaml: Strimzi runs Kafka in KRaft mode, and the project's topics exist with
its partition count and keep every event."""

from __future__ import annotations

from typing import Any

from crm_schemas.topics import DLQ_RESOLVED_TOPIC, DLQ_TOPIC, EVENTS_TOPIC, PARTITIONS

from .manifests import KAFKA_CLUSTER, find, one


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
    assert set(topics) == {EVENTS_TOPIC, DLQ_TOPIC, DLQ_RESOLVED_TOPIC}
    marks = topics.pop(DLQ_RESOLVED_TOPIC)["spec"]
    assert marks["config"]["cleanup.policy"] == "compact"
    assert marks["replicas"] >= 2
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == KAFKA_CLUSTER
        spec = topic["spec"]
        assert spec["partitions"] == PARTITIONS == 12
        assert spec["replicas"] >= 2
        assert spec["config"]["retention.ms"] == -1
        assert spec["config"]["cleanup.policy"] == "delete"
