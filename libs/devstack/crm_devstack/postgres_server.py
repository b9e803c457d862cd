"""PostgreSQL from Debian's packages, as a cluster of our own under the state dir.

PostgreSQL refuses to run as root. When we are root the cluster belongs to the `postgres`
system user (created by Debian's package) and initdb/postgres run as that user.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path
from typing import ClassVar

from crm_devstack.databases import ensure_databases, server_answers
from crm_devstack.local_server import LocalServer
from crm_devstack.processes import Command, DevstackError
from crm_devstack.settings import HOST, SERVICE_DATABASES

ENV_POSTGRES_BIN = "CRM_POSTGRES_BIN"
# Used when we are root and the packages' `postgres` user does not exist.
FALLBACK_USER = "crm"
# Where the cluster goes when the run user cannot enter the state dir (e.g. a checkout
# under /root, which is mode 0700).
OUTSIDE_DATA_ROOT = Path("/var/lib/crm-devstack")


def _version_key(bin_dir: str) -> tuple[int, ...]:
    version = Path(bin_dir).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def postgres_bin_dir() -> Path | None:
    """The newest installed server binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    override = os.environ.get(ENV_POSTGRES_BIN)
    candidates = [override] if override else glob.glob("/usr/lib/postgresql/*/bin")
    usable = [c for c in candidates if (Path(c) / "postgres").is_file()]
    if not usable:
        return None
    return Path(max(usable, key=_version_key))


def run_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        check=True,
    )
    return FALLBACK_USER


def _run_as(user: str | None, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a short command as user (with that user's group only, none of root's)."""
    if user is None:
        return subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        # The run user may not be allowed into our working directory.
        cwd="/",
        user=user,
        group=pwd.getpwnam(user).pw_gid,
        extra_groups=[],
    )


class PostgresServer(LocalServer):
    name: ClassVar[str] = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: it ends client sessions and shuts down cleanly.
    # SIGTERM ("smart") would wait forever for a leftover connection to close.
    stop_signal: ClassVar[int] = signal.SIGINT

    @property
    def data_dir(self) -> Path:
        # Resolved: it may be a symlink to a folder outside the state dir (see _place_data_dir).
        return (self.home / "data").resolve()

    def ports(self) -> list[int]:
        return [self.config.ports.postgres]

    def address(self) -> str:
        return self.config.endpoints.postgres_url

    def missing_pieces(self) -> list[str]:
        return [] if postgres_bin_dir() else ["PostgreSQL server (apt-get install -y postgresql)"]

    def _bin(self, program: str) -> str:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise DevstackError("PostgreSQL binaries not found; run `make install`")
        return str(bin_dir / program)

    def _place_data_dir(self, user: str | None) -> None:
        """Create the (empty) data dir where the run user can reach it."""
        link = self.home / "data"
        self.home.mkdir(parents=True, exist_ok=True)
        if link.exists():
            return
        link.unlink(missing_ok=True)  # a dangling symlink left by a wiped outside folder
        if user is None or _user_can_enter(user, self.home):
            link.mkdir()
            target = link
        else:
            digest = hashlib.sha256(str(self.config.state_dir).encode()).hexdigest()[:12]
            target = OUTSIDE_DATA_ROOT / digest / "data"
            target.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target)
        if user is not None:
            shutil.chown(target, user=user, group=pwd.getpwnam(user).pw_gid)
            target.chmod(0o700)

    def prepare(self) -> None:
        user = run_user()
        self._place_data_dir(user)
        if (self.data_dir / "PG_VERSION").exists():
            return
        argv = [
            self._bin("initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            # Trust is safe only because the server listens on loopback alone (see command()).
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        ]
        result = _run_as(user, argv)
        if result.returncode != 0:
            raise DevstackError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def command(self) -> Command:
        return Command(
            argv=[
                self._bin("postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.config.ports.postgres),
                "-c",
                f"listen_addresses={HOST}",
                # TCP only: a socket in /var/run/postgresql would clash with a system cluster.
                "-c",
                "unix_socket_directories=",
                # Five services with connection pools, plus the tests' own connections.
                "-c",
                "max_connections=200",
                # Per-statement counts and times for profiling (`CREATE EXTENSION
                # pg_stat_statements` in a database to read them); the module ships with
                # PostgreSQL and costs little when nobody reads it.
                "-c",
                "shared_preload_libraries=pg_stat_statements",
            ],
            user=run_user(),
            cwd=Path("/"),
        )

    async def answers(self) -> bool:
        return await server_answers(self.address())

    async def provision(self) -> None:
        await ensure_databases(self.address(), SERVICE_DATABASES)


def _user_can_enter(user: str, folder: Path) -> bool:
    return _run_as(user, ["test", "-x", str(folder)]).returncode == 0
