"""Installing system packages leaves the machine's own services as they are.

apt-get and every tool that could stop, disable or mask a service are replaced by fake
executables first on PATH that record their arguments and succeed: no real apt runs, and no
service of the machine is touched whatever the code under test does.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from crm_devstack import system_packages
from crm_devstack.processes import DevstackError
from crm_devstack.system_packages import install_packages

# Every package the launcher installs (Kafka's, PostgreSQL, Redis, the gateway, the load tool,
# what builds the console, and the browser its tests drive).
EVERY_PACKAGE = [
    "openjdk-17-jre-headless",
    "maven",
    "postgresql",
    "redis-server",
    "nginx",
    "wrk",
    "nodejs",
    "npm",
    "chromium",
    "chromium-driver",
]
SERVICE_TOOLS = (
    "systemctl",
    "invoke-rc.d",
    "policy-rc.d",
    "service",
    "update-rc.d",
    "deb-systemd-invoke",
    "deb-systemd-helper",
)
# Debian's hook that invoke-rc.d consults before a package's script starts its service.
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
RECORDER = """#!/bin/sh
{{ printf '%s' "$(basename "$0")"; for arg in "$@"; do printf '\\t%s' "$arg"; done; echo; }} \\
    >> "{calls}"
if [ "$(basename "$0")" = apt-get ]; then
    echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> "{apt_saw}"
    if [ -e {policy} ]; then sha256sum < {policy} | cut -d' ' -f1; else echo absent; fi \\
        >> "{apt_saw}"
fi
exit 0
"""


def _policy_state() -> str:
    if not POLICY_RC_D.exists():
        return "absent"
    return hashlib.sha256(POLICY_RC_D.read_bytes()).hexdigest()


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(calls, what apt-get saw): every shim's argv, one tab-separated line per call."""
    shims = tmp_path / "bin"
    shims.mkdir()
    calls, apt_saw = tmp_path / "calls", tmp_path / "apt_saw"
    calls.touch()
    apt_saw.touch()
    script = RECORDER.format(calls=calls, apt_saw=apt_saw, policy=POLICY_RC_D)
    for name in ("apt-get", *SERVICE_TOOLS):
        (shims / name).write_text(script)
        (shims / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("DEBIAN_FRONTEND", raising=False)
    # As root, which is when the launcher installs anything; the shims make that harmless.
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 0)
    return calls, apt_saw


def _calls(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines()]


def test_install_runs_apt_alone_and_stops_disables_or_masks_nothing(
    recorded: tuple[Path, Path],
) -> None:
    calls, apt_saw = recorded
    policy_before = _policy_state()
    said: list[str] = []

    install_packages(EVERY_PACKAGE, said.append)

    made = _calls(calls)
    assert [argv[:2] for argv in made] == [["apt-get", "update"], ["apt-get", "install"]]
    install = made[1]
    assert install[-len(EVERY_PACKAGE) :] == EVERY_PACKAGE
    assert "-y" in install
    assert not [argv for argv in made if argv[0] in SERVICE_TOOLS]
    for argv in made:
        assert not {"stop", "disable", "mask", "--now"} & set(argv), argv
    # apt ran without a question, and with the machine's policy-rc.d as it was (none written).
    saw = apt_saw.read_text().splitlines()
    assert saw[0::2] == ["DEBIAN_FRONTEND=noninteractive"] * 2
    assert saw[1::2] == [policy_before] * 2
    assert _policy_state() == policy_before
    assert said == [f"installing system packages: {' '.join(EVERY_PACKAGE)}"]


def test_nothing_missing_runs_nothing(recorded: tuple[Path, Path]) -> None:
    calls, _ = recorded
    install_packages([], print)
    assert _calls(calls) == []


def test_without_root_it_names_the_command_and_runs_nothing(
    recorded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls, _ = recorded
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 1000)
    with pytest.raises(DevstackError, match="sudo apt-get install -y postgresql nginx"):
        install_packages(["postgresql", "nginx"], print)
    assert _calls(calls) == []
