"""Pid files, port checks and stopping, with a harmless `sleep` standing in for a server."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import psutil
import pytest

from crm_devstack.processes import (
    Command,
    DevstackError,
    ServerProcess,
    crash_process,
    port_is_free,
    stop_processes,
)
from crm_devstack.redis_server import RedisServer
from crm_devstack.servers_for_tests import run_coroutine
from crm_devstack.settings import Ports, StackConfig
from crm_devstack.stack import bring_down


def test_started_process_is_found_again_and_stopped(tmp_path: Path) -> None:
    server = ServerProcess("sleeper", tmp_path / "run", tmp_path / "sleeper.log")
    started = server.start(Command(argv=["sleep", "60"]))
    found = ServerProcess("sleeper", tmp_path / "run", tmp_path / "sleeper.log").running()
    assert found is not None
    assert found.pid == started.pid

    assert stop_processes({"sleeper": (started, signal.SIGTERM)}, timeout=10) == []
    assert not started.is_running() or started.status() == psutil.STATUS_ZOMBIE
    assert server.running() is None
    assert not server.pid_file.exists()


def test_pid_file_of_another_process_is_not_trusted(tmp_path: Path) -> None:
    server = ServerProcess("ghost", tmp_path, tmp_path / "ghost.log")
    # Our own pid with a wrong start time: what a reused pid looks like after a reboot.
    server.pid_file.write_text(f"{os.getpid()} 12345.0\n")
    assert server.running() is None
    assert not server.pid_file.exists()


def test_a_server_is_still_found_after_the_wall_clock_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NTP adjusting the clock moves the boot time the kernel reports, and with it every
    process's wall-clock start time, by a whole second: the server must still be ours."""
    server = ServerProcess("sleeper", tmp_path / "run", tmp_path / "sleeper.log")
    started = server.start(Command(argv=["sleep", "60"]))
    try:
        booted = psutil.boot_time()
        monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: booted + 1.0)
        found = ServerProcess("sleeper", tmp_path / "run", tmp_path / "sleeper.log").running()
        assert found is not None
        assert found.pid == started.pid
    finally:
        stop_processes({"sleeper": (started, signal.SIGTERM)}, timeout=10)


def test_a_pid_file_with_another_start_tick_is_not_trusted(tmp_path: Path) -> None:
    server = ServerProcess("ghost", tmp_path, tmp_path / "ghost.log")
    server.pid_file.write_text(f"{os.getpid()} ticks=1\n")
    assert server.running() is None
    assert not server.pid_file.exists()


def test_a_wall_clock_pid_file_is_trusted_within_a_clock_step(tmp_path: Path) -> None:
    """Pid files written as wall-clock times (before start ticks) are read with the second
    a clock adjustment may have added."""
    server = ServerProcess("self", tmp_path, tmp_path / "self.log")
    ours = psutil.Process(os.getpid())
    server.pid_file.write_text(f"{ours.pid} {ours.create_time() - 1.0}\n")
    found = server.running()
    assert found is not None
    assert found.pid == ours.pid


def test_port_check_sees_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)


def test_taken_port_is_named_in_the_error(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        server = RedisServer(StackConfig(state_dir=tmp_path, ports=Ports(redis=port)))
        with pytest.raises(DevstackError, match=f"port {port} on 127.0.0.1 is already taken"):
            run_coroutine(server.ensure_running)
    assert server.running() is None


def test_a_crash_kills_the_process_group_and_every_descendant(tmp_path: Path) -> None:
    server = ServerProcess("crasher", tmp_path / "run", tmp_path / "crasher.log")
    # One child in the server's group, one in a session of its own (as PostgreSQL's backends).
    started = server.start(Command(argv=["sh", "-c", "setsid sleep 60 & sleep 60 & wait"]))
    # Until both children run and the first has left the group: a child is listed as soon as
    # it is forked, before `setsid` made its own session.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = started.children()
        sessions = {os.getsid(child.pid) == started.pid for child in children}
        if len(children) == 2 and sessions == {True, False}:
            break
        time.sleep(0.05)
    assert len(children) == 2
    assert sessions == {True, False}

    killed = crash_process(started)
    assert killed[0] == started.pid
    assert sorted(killed[1:]) == sorted(child.pid for child in children)
    for process in (started, *children):
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    assert server.running() is None


def test_down_stops_the_servers_it_finds_and_names_the_others_not_running(tmp_path: Path) -> None:
    config = StackConfig(state_dir=tmp_path, ports=Ports())
    # Stand-ins under two servers' names: `down` finds a server by its pid file.
    stand_ins = [
        ServerProcess(name, config.run_dir, config.logs_dir / f"{name}.log").start(
            Command(argv=["sleep", "60"])
        )
        for name in ("postgres", "redis")
    ]
    outcome = run_coroutine(lambda: bring_down(config))
    assert outcome == {"kafka": "not running", "postgres": "stopped", "redis": "stopped"}
    for process in stand_ins:
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    assert list(config.run_dir.glob("*.pid")) == []
