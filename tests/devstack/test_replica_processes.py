"""Replicas as processes, with harmless stand-ins for the services (`sleep`, a tiny listener,
a tiny health server): the shared port, stopping replicas beyond a count, `system down`,
killing one replica, and telling which replica answered."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from crm_devstack.app_servers import APP_SERVER_TYPES, answered_by
from crm_devstack.cli import app
from crm_devstack.processes import Command, ServerProcess, listening_pids, stop_processes
from crm_devstack.replicas import record_counts, recorded_counts
from crm_devstack.servers_for_tests import run_coroutine
from crm_devstack.settings import Ports, StackConfig
from crm_devstack.system_stack import bring_down_system, stop_replicas_beyond

WAIT_S = 30.0
SLEEP = Command(argv=["sleep", "300"])


def _config(tmp_path: Path) -> StackConfig:
    return StackConfig(state_dir=tmp_path, ports=Ports())


def _start(config: StackConfig, name: str, command: Command = SLEEP) -> psutil.Process:
    """A stand-in process under a replica's name, found by the launcher through its pid file."""
    return ServerProcess(name, config.run_dir, config.logs_dir / f"{name}.log").start(command)


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def config(tmp_path: Path) -> Iterator[StackConfig]:
    config = _config(tmp_path)
    yield config
    leftovers = {}
    for pid_file in config.run_dir.glob("*.pid"):
        process = ServerProcess(pid_file.stem, config.run_dir, tmp_path / "x.log").running()
        if process is not None:
            leftovers[pid_file.stem] = (process, signal.SIGTERM)
    stop_processes(leftovers, timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listener_on(port: int) -> Command:
    """A process listening on the port with SO_REUSEPORT, as a replica of a service does."""
    script = (
        "import socket, time\n"
        "s = socket.socket()\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
        f"s.bind(('127.0.0.1', {port}))\n"
        "s.listen()\n"
        "time.sleep(300)\n"
    )
    return Command(argv=[sys.executable, "-c", script])


def test_a_replica_may_share_the_port_with_its_siblings_only(config: StackConfig) -> None:
    port = _free_port()
    sibling = _start(config, "customers-2", _listener_on(port))
    deadline = time.monotonic() + WAIT_S
    while sibling.pid not in listening_pids(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listening_pids(port) == {sibling.pid}
    first = APP_SERVER_TYPES["customers"](config, 1)
    assert first.shares_port_with_listeners(port)
    # Another service's replica does not count as a sibling.
    assert not APP_SERVER_TYPES["rules"](config, 1).shares_port_with_listeners(port)
    # A program that is no replica of the service, listening beside them, is refused.
    with socket.socket() as stranger:
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        stranger.bind(("127.0.0.1", port))
        stranger.listen()
        assert not first.shares_port_with_listeners(port)
    # Nobody listening: nothing to share (the port is simply free).
    assert not first.shares_port_with_listeners(_free_port())


def test_replicas_beyond_a_lowered_count_are_stopped_and_the_others_kept(
    config: StackConfig,
) -> None:
    record_counts(config.run_dir, {"customers": 3})
    kept = [_start(config, name) for name in ("customers", "customers-2")]
    beyond = _start(config, "customers-3")
    said: list[str] = []
    counts = record_counts(config.run_dir, {"customers": 2})
    stopped = run_coroutine(lambda: stop_replicas_beyond(config, counts, said.append))
    assert stopped == ["customers-3"]
    assert said == ["stopping customers-3: beyond customers's replica count"]
    assert _gone(beyond)
    assert not (config.run_dir / "customers-3.pid").exists()
    assert not any(_gone(process) for process in kept)


def test_system_down_stops_every_replica_and_forgets_the_counts(config: StackConfig) -> None:
    record_counts(config.run_dir, {"rules": 2, "stats": 2})
    started = {name: _start(config, name) for name in ("rules", "rules-2", "stats-2")}
    outcome = run_coroutine(lambda: bring_down_system(config))
    assert {name: outcome[name] for name in started} == dict.fromkeys(started, "stopped")
    assert outcome["stats"] == "not running"
    assert all(_gone(process) for process in started.values())
    assert list(config.run_dir.glob("*.pid")) == []
    assert recorded_counts(config.run_dir)["rules"] == 1


def test_kill_crashes_one_replica_and_leaves_the_others_running(config: StackConfig) -> None:
    record_counts(config.run_dir, {"nba": 2})
    first, second = _start(config, "nba"), _start(config, "nba-2")
    result = CliRunner().invoke(
        app, ["kill", "nba-2"], env={"CRM_STATE_DIR": str(config.state_dir), "COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    assert f"nba-2     killed: pids {second.pid}" in result.output
    assert _gone(second)
    assert not _gone(first)
    unknown = CliRunner().invoke(
        app, ["kill", "nba-3"], env={"CRM_STATE_DIR": str(config.state_dir), "COLUMNS": "300"}
    )
    assert unknown.exit_code == 1
    assert "unknown piece 'nba-3'" in unknown.output


class _Health(BaseHTTPRequestHandler):
    instance = "host:1"

    def do_GET(self) -> None:
        body = json.dumps({"status": "ready", "instance": self.instance}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the test's output is what it asserts."""


def test_readiness_is_judged_by_the_replica_that_answered() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/health/ready"
    try:
        assert run_coroutine(lambda: answered_by(url, "host:1", attempts=3))
        assert not run_coroutine(lambda: answered_by(url, "host:2", attempts=3))
    finally:
        server.shutdown()
        server.server_close()
    assert not run_coroutine(lambda: answered_by(url, "host:1", attempts=2))
