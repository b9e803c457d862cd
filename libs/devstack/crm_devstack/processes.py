"""Starting, finding and stopping one long-lived server process, tracked by a pid file.

The servers outlive the command that started them (make up returns; a test session ends), so
each is started in its own session and found again later through its pid file. The file holds
the pid *and* the process's start time: a pid alone can be reused by an unrelated process after
a crash or a reboot, and we must never report it as our server or send it a signal.

The start time is read in clock ticks since boot where the system shows it (Linux's
/proc/<pid>/stat), not as a wall-clock time: psutil adds the boot time to it, which the kernel
derives from the wall clock, and a clock adjusted by NTP while a server runs moves that sum by a
whole second; a server then looked like a stranger, its pid file was dropped, and it could be
neither stopped nor started again ("port already taken" by itself).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil


class DevstackError(RuntimeError):
    """A failure the user can act on; the message says what to do or which log to read."""


@dataclass(frozen=True)
class Command:
    argv: Sequence[str]
    # A user name to run as (PostgreSQL refuses to run as root); None keeps the current user.
    user: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None


# Popen objects of the servers this Python process started. Keeping them referenced stops
# Python from warning that a still-running child is being garbage-collected: the servers are
# meant to outlive us.
_started_here: list[subprocess.Popen[bytes]] = []


class ServerProcess:
    def __init__(self, name: str, run_dir: Path, log_file: Path) -> None:
        self.name = name
        self.pid_file = run_dir / f"{name}.pid"
        self.log_file = log_file

    def running(self) -> psutil.Process | None:
        """Our server's process if it is alive, else None (a stale pid file is removed)."""
        try:
            pid_text, started_text = self.pid_file.read_text().split()
            process = psutil.Process(int(pid_text))
            same = _same_start(process, started_text)
            alive = process.status() != psutil.STATUS_ZOMBIE
        except (FileNotFoundError, ValueError, psutil.NoSuchProcess, psutil.AccessDenied):
            self._forget_if_stale()
            return None
        if same and alive:
            return process
        self._forget_if_stale()
        return None

    def _forget_if_stale(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def start(self, command: Command) -> psutil.Process:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        group: int | None = None
        if command.user is not None:
            import pwd  # POSIX only, like the rest of the launcher

            group = pwd.getpwnam(command.user).pw_gid
        with self.log_file.open("ab") as log:
            child = subprocess.Popen(
                list(command.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=command.cwd,
                env={**os.environ, **command.env},
                user=command.user,
                group=group,
                # Drop root's supplementary groups along with root itself.
                extra_groups=[] if command.user is not None else None,
                # Own session: Ctrl-C in the terminal that ran `up` must not reach the server.
                start_new_session=True,
            )
        _started_here.append(child)
        process = psutil.Process(child.pid)
        # Written whole under another name and renamed: a reader must never see it half
        # written, which it would take for a stale file and remove.
        written = self.pid_file.with_name(f"{self.pid_file.name}.new")
        written.write_text(f"{child.pid} {_start_mark(process)}\n")
        written.replace(self.pid_file)
        # Reaped as soon as it exits: a crashed server left as our zombie would still look
        # alive to its successor (PostgreSQL takes a zombie's pid in postmaster.pid for a
        # running postmaster and refuses to start).
        threading.Thread(target=child.wait, name=f"reap-{self.name}", daemon=True).start()
        return process


_TICKS = "ticks="
# A wall-clock start time may have moved by the second a clock adjustment added to the boot
# time; a reused pid's process starts after ours ended, which is not within this.
_WALL_CLOCK_SLACK_S = 1.5


def _start_ticks(pid: int) -> int | None:
    """The process's start in clock ticks since boot (field 22 of /proc/<pid>/stat; the name
    before it is in parentheses and may hold spaces), or None where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return int(stat.rpartition(")")[2].split()[19])


def _start_mark(process: psutil.Process) -> str:
    ticks = _start_ticks(process.pid)
    return f"{_TICKS}{ticks}" if ticks is not None else repr(process.create_time())


def _same_start(process: psutil.Process, mark: str) -> bool:
    if mark.startswith(_TICKS):
        return _start_ticks(process.pid) == int(mark.removeprefix(_TICKS))
    return abs(process.create_time() - float(mark)) < _WALL_CLOCK_SLACK_S


def stop_processes(
    processes: Mapping[str, tuple[psutil.Process, int]], timeout: float
) -> list[str]:
    """Signal every server at once, wait up to timeout, kill what is left. Returns killed names.

    Signalling all first lets them shut down in parallel (Kafka's clean shutdown takes seconds).
    """
    for process, signum in processes.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signum)
    _, alive = psutil.wait_procs([p for p, _ in processes.values()], timeout=timeout)
    killed = [name for name, (p, _) in processes.items() if p in alive]
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs(alive, timeout=10)
    return killed


def crash_process(process: psutil.Process, timeout: float = 30.0) -> list[int]:
    """SIGKILL a server as a crash would: its process group (it leads one, started in its own
    session) and every descendant, which covers PostgreSQL's backends (each in a session of its
    own). Returns once all are gone (or zombies); the pids killed, the server's first."""
    doomed = [process, *process.children(recursive=True)]
    # The leader first, so that it cannot start a replacement for a child killed before it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for member in doomed:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    deadline = time.monotonic() + timeout
    while any(_alive(member) for member in doomed):
        if time.monotonic() > deadline:
            raise DevstackError(f"pids {[p.pid for p in doomed if _alive(p)]} outlived SIGKILL")
        time.sleep(0.05)
    return [member.pid for member in doomed]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, chosen by the kernel (for servers started by tests and
    benchmarks; another program could take it before it is used, which they then report)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (a bind test: connecting could hit a firewall)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Without SO_REUSEADDR a port left in TIME_WAIT by a just-stopped server would look taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def listening_pids(port: int) -> set[int | None]:
    """The processes listening on the TCP port (None for one whose pid is not ours to see)."""
    return {
        conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN
    }


def describe_port_owner(port: int) -> str:
    """Who listens on the port, for the error message (best effort: may need root)."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
                if conn.pid is None:
                    return "another program"
                owner = psutil.Process(conn.pid)
                return f"pid {conn.pid} ({' '.join(owner.cmdline()[:3])})"
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        pass
    return "another program"


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log, to put the likely cause right into an error message."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log yet)"
    return "\n".join(text.splitlines()[-lines:])
