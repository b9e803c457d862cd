"""A service's real app served over HTTP by uvicorn in a thread of its own (test support).

For callers that are synchronous (schemathesis calls through `requests`) while the test
session's event loop runs on the main thread: the app gets its own loop, lifespan included.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from crm_devstack.processes import free_port
from crm_servicekit.accounts import Account, write_accounts_file
from crm_servicekit.settings import ServiceSettings

START_TIMEOUT_S = 60.0

S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class ModuleServers:
    """The real servers behind one test module's served app: its own database and topic."""

    database_url: str
    kafka_bootstrap: str
    redis_url: str
    topic: str
    config_dir: Path

    def settings(self, cls: type[S], accounts: Sequence[Account], **extra: Any) -> S:
        accounts_file = write_accounts_file(self.config_dir / "accounts.yaml", accounts)
        return cls(
            environment="test",
            database_url=self.database_url,
            kafka_bootstrap_servers=self.kafka_bootstrap,
            redis_url=self.redis_url,
            events_topic=self.topic,
            accounts_file=accounts_file,
            **extra,
        )


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served on a free local port, lifespan included; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    # serve() rather than run(): run() would install uvloop's policy for the whole process.
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
