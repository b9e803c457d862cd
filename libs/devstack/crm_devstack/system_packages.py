"""Debian packages the local servers need, installed only when missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence

from crm_devstack.gateway_binary import nginx_binary
from crm_devstack.postgres_server import postgres_bin_dir
from crm_devstack.processes import DevstackError
from crm_devstack.redis_server import redis_binary

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
    # Not a server: the checker of deploy/observability's alert rules, which the tests run.
    "promtool": {"prometheus": lambda: shutil.which("promtool") is not None},
    # Not a server: what builds the web console (console/) at install time.
    "console": {
        "nodejs": lambda: shutil.which("node") is not None,
        "npm": lambda: shutil.which("npm") is not None,
    },
    # Not a server: the headless browser and its WebDriver the console's browser tests drive.
    "browser": {
        "chromium": lambda: shutil.which("chromium") is not None,
        "chromium-driver": lambda: shutil.which("chromedriver") is not None,
    },
}

# apt-get without a question: no debconf dialog, no conffile prompt (the machine's own
# configuration files are kept), and Ubuntu's needrestart neither asks nor restarts anything.
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_SUSPEND": "1"}
_APT_OPTIONS = (
    "-y",
    "-q",
    "--no-install-recommends",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
)


def missing_packages(servers: Sequence[str]) -> list[str]:
    return [
        package
        for server in servers
        for package, present in _PACKAGES_BY_SERVER[server].items()
        if not present()
    ]


def install_packages(packages: Sequence[str], say: Callable[[str], None]) -> None:
    """apt-get install the packages, without a question, leaving the machine's services be.

    A package's install script may start its own system service (PostgreSQL's cluster on
    5432, Redis on 6379, nginx on 80). That does no harm: our servers are processes of their
    own, on their own ports (settings.py, gateway_routes.py) with their data under the state
    dir, so nothing of the machine's needs stopping, disabling or masking, and we touch none.
    """
    if not packages:
        return
    wanted = " ".join(packages)
    if os.geteuid() != 0:
        raise DevstackError(f"missing system packages; run: sudo apt-get install -y {wanted}")
    if shutil.which("apt-get") is None:
        raise DevstackError(f"missing system packages and no apt-get here: {wanted}")
    say(f"installing system packages: {wanted}")
    env = {**os.environ, **_APT_ENV}
    for argv in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", *_APT_OPTIONS, *packages],
    ):
        result = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise DevstackError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
