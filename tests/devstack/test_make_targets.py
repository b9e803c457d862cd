"""What `make test`, `make up` and CI install first, read with `make -n` (nothing is run).

`make test` needs the Python dependencies alone: fixtures install and start the servers a
test asks for. `make up` and CI install everything first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYNC = re.compile(r"\buv sync --frozen$", re.M)
DEVSTACK_INSTALL = "crm-devstack install"


def _dry_run(*arguments: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        [make, "--no-print-directory", "-n", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_test_syncs_the_python_dependencies_and_installs_no_system_package() -> None:
    commands = _dry_run("test", "PYTEST_ARGS=tests/schemas")
    assert SYNC.search(commands), commands
    assert "pytest tests/schemas" in commands
    assert DEVSTACK_INSTALL not in commands
    assert commands.index("sync --frozen") < commands.index("pytest tests/schemas")


def test_make_up_installs_everything_before_it_starts_the_system() -> None:
    commands = _dry_run("up")
    assert SYNC.search(commands), commands
    assert commands.index(DEVSTACK_INSTALL) < commands.index("crm-devstack system up")


def test_ci_installs_everything_before_the_full_test_run() -> None:
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("make ")
    ]
    assert steps == ["make install", "make lint", "make test"]


def test_make_fuzz_runs_the_five_openapi_fuzz_tests_at_more_than_ci_size() -> None:
    commands = _dry_run("fuzz")
    assert SYNC.search(commands), commands
    assert DEVSTACK_INSTALL not in commands
    examples = re.search(r"CRM_FUZZ_EXAMPLES=(\d+) .*pytest", commands)
    assert examples is not None, commands
    # Requests grow slower than examples (small operations run out of new inputs): 40 per
    # operation sent 4,522 requests and 120 sent 7,322; make fuzz promises over 10,000.
    assert int(examples.group(1)) >= 400
    for service in ("ingest", "customers", "rules", "nba", "stats"):
        assert f"tests/{service}/test_openapi_fuzz.py" in commands
    assert commands.index("sync --frozen") < commands.index("pytest")


def test_make_help_lists_fuzz() -> None:
    # `make -n help` prints the echo commands themselves; each line still starts with "echo".
    assert re.search(r'^echo "make fuzz ', _dry_run("help"), re.M), _dry_run("help")
