"""Replicas on one host share a port when `http_reuse_port` is on, and only then.

Real processes through `serve`, as `make bench-ingest --replicas` runs them: the kernel
spreads fresh connections over every replica listening, and each replica names itself in
its health answer.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crm_devstack.processes import free_port
from crm_servicekit.health import instance_name
from crm_servicekit.http import shared_port

# The sample service through `serve`, as test_serve.py runs it; argv: port, shared|exclusive.
SERVE_SAMPLE = """
import sys
from servicekit.sample_service import sample_app, sample_settings
from crm_servicekit.http import serve
settings = sample_settings(
    http_port=int(sys.argv[1]), http_reuse_port=sys.argv[2] == "shared", log_level="WARNING"
)
serve(sample_app(settings=settings), settings)
"""
TESTS_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def start(port: int, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SERVE_SAMPLE, str(port), mode], cwd=TESTS_DIR)


async def instances_seen(port: int, want: int, timeout_s: float = 60.0) -> set[str]:
    """The instances answering on the port, each ask on a fresh connection, until `want`
    answered or the time is up."""
    seen: set[str] = set()
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=5) as client:
        async with asyncio.timeout(timeout_s):
            while len(seen) < want:
                try:
                    answer = await client.get(f"http://127.0.0.1:{port}/health/ready")
                except httpx.TransportError:
                    await asyncio.sleep(0.05)  # nobody listens yet
                    continue
                assert answer.status_code == 200, answer.text
                seen.add(answer.json()["instance"])
    return seen


async def test_replicas_with_reuse_port_share_the_port(
    started: list[subprocess.Popen[bytes]],
) -> None:
    port = free_port()
    started += [start(port, "shared"), start(port, "shared")]
    seen = await instances_seen(port, want=2)
    assert seen == {instance_name(p.pid) for p in started}
    assert all(process.poll() is None for process in started)


async def test_without_reuse_port_a_second_copy_fails_to_start(
    started: list[subprocess.Popen[bytes]],
) -> None:
    port = free_port()
    started.append(start(port, "exclusive"))
    assert await instances_seen(port, want=1) == {instance_name(started[0].pid)}
    second = start(port, "exclusive")
    # uvicorn's exit code for a failed start (the port is taken), as `uvicorn.run` gives.
    assert await asyncio.to_thread(second.wait, 60) == 3
    assert started[0].poll() is None


def test_shared_port_is_bound_with_reuse_port_and_refuses_a_plain_bind() -> None:
    port = free_port()
    first = shared_port("127.0.0.1", port)
    second = shared_port("127.0.0.1", port)
    try:
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        with socket.socket() as plain, pytest.raises(OSError, match="in use"):
            plain.bind(("127.0.0.1", port))
    finally:
        first.close()
        second.close()
