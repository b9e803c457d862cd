"""A Kafka broker of a test's own, to stop and start again (test support).

A Kafka client learns the broker's address from the broker itself, so a TCP proxy in front of
the shared broker cannot make Kafka vanish for one service: its clients would go round the
proxy. A test that needs Kafka gone starts this broker (the devstack launcher's, in a
temporary folder on free ports), kills it and starts it again on the same ports and data. The
shared broker is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import psutil

from crm_devstack.kafka_broker import KafkaBroker
from crm_devstack.processes import free_port
from crm_devstack.settings import Ports, StackConfig


class PrivateKafka:
    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    @property
    def bootstrap(self) -> str:
        return self.broker.address()

    async def stop(self) -> None:
        """Gone at once, as a crash would leave it (no orderly leave of the clients)."""
        process = self.broker.running()
        if process is not None:
            process.kill()
            await asyncio.to_thread(psutil.wait_procs, [process], timeout=60)

    async def start(self) -> None:
        await self.broker.ensure_running()


def _with_jars(broker: KafkaBroker) -> None:
    """The launcher's jars when it has them (no download), else Maven's copy (offline once
    Maven's cache holds them, as after `make install`)."""
    launcher_jars = StackConfig.from_env().state_dir / "kafka" / broker.jars_dir.name
    broker.home.mkdir(parents=True)
    if launcher_jars.is_dir():
        os.symlink(launcher_jars, broker.jars_dir)
    else:
        broker.install_jars()


@contextlib.asynccontextmanager
async def private_kafka(folder: Path) -> AsyncIterator[PrivateKafka]:
    """A running broker with the project's topics, its state under `folder`; killed after."""
    config = StackConfig(
        state_dir=folder, ports=Ports(kafka=free_port(), kafka_controller=free_port())
    )
    kafka = PrivateKafka(KafkaBroker(config))
    await asyncio.to_thread(_with_jars, kafka.broker)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()
