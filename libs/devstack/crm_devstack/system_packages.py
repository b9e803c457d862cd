"""Debian packages the local servers need, installed only when missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from crm_devstack.gateway_binary import nginx_binary
from crm_devstack.postgres_server import postgres_bin_dir
from crm_devstack.processes import DevstackError
from crm_devstack.redis_server import redis_binary

# Debian's hook that invoke-rc.d consults before starting a service; exit code 101 means "no".
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")

# Package name -> whether what it provides is already there; keyed by the server needing it.
_PACKAGES_BY_SERVER: dict[str, dict[str, Callable[[], bool]]] = {
    "kafka": {
        "openjdk-17-jre-headless": lambda: shutil.which("java") is not None,
        "maven": lambda: shutil.which("mvn") is not None,
    },
    "postgres": {"postgresql": lambda: postgres_bin_dir() is not None},
    "redis": {"redis-server": lambda: redis_binary() is not None},
    "gateway": {"nginx": lambda: nginx_binary() is not None},
    # The HTTP benchmarks' load generator: a Python client would spend the CPU that the
    # server under test needs on a 2-core machine.
    "loadgen": {"wrk": lambda: shutil.which("wrk") is not None},
}

# Packages whose own system service we never want running: ours run on other ports, under
# the state dir, and a stray system redis on 6379 would only confuse.
_SYSTEM_SERVICES = {"postgresql": "postgresql", "redis-server": "redis-server", "nginx": "nginx"}


def missing_packages(servers: Sequence[str]) -> list[str]:
    return [
        package
        for server in servers
        for package, present in _PACKAGES_BY_SERVER[server].items()
        if not present()
    ]


def install_packages(packages: Sequence[str], say: Callable[[str], None]) -> None:
    """apt-get install the packages, without letting them start their system services."""
    if not packages:
        return
    wanted = " ".join(packages)
    if os.geteuid() != 0:
        raise DevstackError(f"missing system packages; run: sudo apt-get install -y {wanted}")
    if shutil.which("apt-get") is None:
        raise DevstackError(f"missing system packages and no apt-get here: {wanted}")
    say(f"installing system packages: {wanted}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _services_kept_stopped():
        for argv in (
            ["apt-get", "update", "-q"],
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        ):
            result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise DevstackError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    for package in packages:
        if package in _SYSTEM_SERVICES:
            _disable_service(_SYSTEM_SERVICES[package])


@contextmanager
def _services_kept_stopped() -> Iterator[None]:
    """Keep apt from starting services it installs (unless a policy is already in place)."""
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text(
        "#!/bin/sh\n# Written by crm_devstack during apt-get install.\nexit 101\n"
    )
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC_D.unlink(missing_ok=True)


def _disable_service(service: str) -> None:
    """Stop the system service and keep it from starting at boot; best effort."""
    if Path("/run/systemd/system").is_dir():
        commands = [["systemctl", "disable", "--now", service]]
    else:
        commands = [["service", service, "stop"], ["update-rc.d", service, "disable"]]
    for argv in commands:
        if shutil.which(argv[0]):
            subprocess.run(argv, capture_output=True, check=False)
