"""Apache Kafka as one local process in KRaft combined mode (broker and controller at once).

The broker's jars come from Maven Central through deploy/kafka/pom.xml (the one place the
Kafka version is pinned); Maven's ~/.m2 cache makes later installs offline and quick.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar

from crm_devstack.local_server import LocalServer
from crm_devstack.processes import Command, DevstackError
from crm_devstack.settings import HOST, repo_root
from crm_devstack.topics import PROJECT_TOPICS, broker_answers, create_topics

ENV_MAVEN_REPO_LOCAL = "CRM_MAVEN_REPO_LOCAL"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_JARS_COMPLETE = ".complete"


def kafka_dir() -> Path:
    return repo_root() / "deploy" / "kafka"


def kafka_version() -> str:
    """The Kafka version pinned in deploy/kafka/pom.xml."""
    root = ET.parse(kafka_dir() / "pom.xml").getroot()
    version = root.findtext("m:properties/m:kafka.version", namespaces=_POM_NS)
    if not version:
        raise DevstackError("deploy/kafka/pom.xml has no <kafka.version> property")
    return version.strip()


def new_cluster_id() -> str:
    """A random KRaft cluster id in Kafka's own Uuid text form (22 chars of base64url)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # Kafka's Uuid.randomUuid() also rejects ids starting with "-": they read as CLI flags.
        if not text.startswith("-"):
            return text


class KafkaBroker(LocalServer):
    name: ClassVar[str] = "kafka"
    # A cold JVM on 2 busy cores can take a while to load and open its listeners.
    start_timeout: ClassVar[float] = 120.0

    @property
    def jars_dir(self) -> Path:
        # One folder per version, so a version bump never mixes jars of two releases.
        return self.home / f"lib-{kafka_version()}"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        # Written by log4j2 (deploy/kafka/log4j2.xml) into kafka.logs.dir.
        return self.config.logs_dir / "kafka" / "server.log"

    @property
    def output_file(self) -> Path:
        # Only what the JVM prints before log4j2 takes over (e.g. a bad classpath).
        return self.config.logs_dir / "kafka" / "stdout.log"

    @property
    def properties_file(self) -> Path:
        return self.home / "server.properties"

    def ports(self) -> list[int]:
        return [self.config.ports.kafka, self.config.ports.kafka_controller]

    def address(self) -> str:
        return self.config.endpoints.kafka_bootstrap

    def jars_present(self) -> bool:
        return (self.jars_dir / _JARS_COMPLETE).exists()

    def missing_pieces(self) -> list[str]:
        missing = [tool for tool in ("java",) if shutil.which(tool) is None]
        if not self.jars_present():
            missing.append(f"Kafka {kafka_version()} jars")
        return missing

    def install_jars(self) -> bool:
        """Copy the broker's classpath into jars_dir with Maven. Returns True if it ran Maven."""
        if self.jars_present():
            return False
        if shutil.which("mvn") is None:
            raise DevstackError("Maven (mvn) is missing: apt-get install -y maven")
        # Copy into a scratch folder and rename at the end: an interrupted copy never passes
        # for a complete classpath.
        scratch = self.jars_dir.with_name(self.jars_dir.name + ".partial")
        shutil.rmtree(scratch, ignore_errors=True)
        argv = [
            "mvn",
            "-B",
            "-q",
            "-ntp",
            "-Dstyle.color=never",
            "-f",
            str(kafka_dir() / "pom.xml"),
        ]
        repo_local = _maven_repo_local()
        if repo_local:
            argv.append(f"-Dmaven.repo.local={repo_local}")
        argv += ["dependency:copy-dependencies", f"-DoutputDirectory={scratch}"]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DevstackError(
                f"Maven could not fetch Kafka {kafka_version()}:\n{result.stdout}{result.stderr}"
            )
        (scratch / _JARS_COMPLETE).touch()
        shutil.rmtree(self.jars_dir, ignore_errors=True)
        scratch.rename(self.jars_dir)
        return True

    def _write_properties(self) -> None:
        ports = self.config.ports
        broker = f"{HOST}:{ports.kafka}"
        controller = f"{HOST}:{ports.kafka_controller}"
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": controller,
            "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # One broker: every internal topic can only have one replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Tests start many short-lived consumer groups; the 3 s default delays each one.
            "group.initial.rebalance.delay.ms": "0",
            # Topics are created by the project with their partition counts, never by accident.
            "auto.create.topics.enable": "false",
        }
        text = "".join(f"{key}={value}\n" for key, value in lines.items())
        self.properties_file.write_text("# Written by crm_devstack at each start.\n" + text)

    def _java(self, main_class: str, *args: str) -> list[str]:
        return [
            "java",
            "-Xms256m",
            "-Xmx512m",
            # The client JIT only: a local broker lives for a demo, a test run or a benchmark,
            # and on two cores C2's compiling outweighed its faster code. Broker CPU over a 1k
            # backtest on a fresh broker: 14.2 s, against 27.6 s with C2; over the next one
            # 12.3 s, against 8.4-14 s once C2 had compiled.
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={kafka_dir() / 'log4j2.xml'}",
            f"-Dkafka.logs.dir={self.log_file.parent}",
            "-cp",
            f"{self.jars_dir}/*",
            main_class,
            *args,
        ]

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._write_properties()
        if (self.data_dir / "meta.properties").exists():
            return
        # Format once; the data (and the cluster id stored in it) then survives restarts.
        argv = self._java(
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            new_cluster_id(),
            "-c",
            str(self.properties_file),
        )
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DevstackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def command(self) -> Command:
        return Command(argv=self._java("kafka.Kafka", str(self.properties_file)), cwd=self.home)

    async def answers(self) -> bool:
        return await broker_answers(self.address())

    async def provision(self) -> None:
        await create_topics(self.address(), PROJECT_TOPICS)


def _maven_repo_local() -> str | None:
    """An alternative Maven cache folder (e.g. an empty one, to time a cold install)."""
    value = os.environ.get(ENV_MAVEN_REPO_LOCAL, "").strip()
    return value or None
