"""The Kafka pin and the broker configuration the launcher writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm_devstack.kafka_broker import KafkaBroker, kafka_version, new_cluster_id
from crm_devstack.settings import ENV_KAFKA_PORT, Ports, StackConfig


def test_kafka_is_pinned_to_a_4x_release() -> None:
    assert re.fullmatch(r"4\.\d+\.\d+", kafka_version())


def test_cluster_ids_look_like_kafkas_own() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cid) for cid in ids)


def test_written_properties_describe_a_single_node_kraft_broker(tmp_path: Path) -> None:
    broker = KafkaBroker(StackConfig(tmp_path, Ports(kafka=29092, kafka_controller=29093)))
    broker.home.mkdir(parents=True)
    broker._write_properties()
    lines = broker.properties_file.read_text().splitlines()
    properties = dict(line.split("=", 1) for line in lines if not line.startswith("#"))
    assert properties["process.roles"] == "broker,controller"
    assert properties["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert properties["auto.create.topics.enable"] == "false"
    assert properties["group.initial.rebalance.delay.ms"] == "0"
    for internal in ("offsets.topic", "transaction.state.log", "share.coordinator.state.topic"):
        assert properties[f"{internal}.replication.factor"] == "1"


def test_ports_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KAFKA_PORT, "29999")
    assert Ports.from_env().kafka == 29999
    monkeypatch.setenv(ENV_KAFKA_PORT, "kafka")
    with pytest.raises(ValueError, match="CRM_KAFKA_PORT"):
        Ports.from_env()
