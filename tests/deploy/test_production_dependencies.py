"""Production packages hold production code: what the image installs carries no developer tool.

deploy/Dockerfile syncs uv.lock without the dev group. These tests read that resolution from
uv.lock itself (the root project's dependencies, followed through every package and extra they
name) and check it against `uv export --frozen --no-dev` where uv is on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from .manifests import ROOT

LOCK = ROOT / "uv.lock"
ROOT_PROJECT = "frazer-crm"
# The local launcher (it runs apt) and the backtest kit, and what only they bring in.
DEVELOPER_ONLY = frozenset({"crm-devstack", "crm-backtest", "aiohttp", "psutil"})
PRODUCTION_MEMBERS = frozenset(
    {
        "crm-schemas",
        "crm-servicekit",
        "crm-ingest",
        "crm-customers",
        "crm-rules",
        "crm-nba",
        "crm-stats",
    }
)

Requirement = tuple[str, tuple[str, ...]]


def _lock() -> dict[str, Any]:
    return tomllib.loads(LOCK.read_text(encoding="utf-8"))


def _packages(lock: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Name -> every locked version of it (a name may be locked twice, under markers)."""
    packages: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        packages.setdefault(package["name"], []).append(package)
    return packages


def _requirements(dependencies: Iterable[Mapping[str, Any]]) -> list[Requirement]:
    return [(d["name"], tuple(d.get("extra", ()))) for d in dependencies]


def _closure(lock: Mapping[str, Any], start: Iterable[Requirement]) -> set[str]:
    """Every package name reachable from start, through dependencies and requested extras.

    Markers are not evaluated: a package locked for any platform counts.
    """
    packages = _packages(lock)
    seen: set[Requirement] = set()
    pending = list(start)
    while pending:
        requirement = pending.pop()
        if requirement in seen:
            continue
        seen.add(requirement)
        name, extras = requirement
        for package in packages[name]:
            pending += _requirements(package.get("dependencies", ()))
            for extra in extras:
                pending += _requirements(package.get("optional-dependencies", {}).get(extra, ()))
    return {name for name, _ in seen}


def _root(lock: Mapping[str, Any]) -> dict[str, Any]:
    (root,) = _packages(lock)[ROOT_PROJECT]
    return root


def production_dependencies() -> set[str]:
    """What `uv sync --frozen --no-dev` installs, read off uv.lock."""
    lock = _lock()
    return _closure(lock, _requirements(_root(lock)["dependencies"]))


def test_the_production_set_has_no_developer_tooling() -> None:
    production = production_dependencies()
    assert production, "uv.lock names no production dependency"
    assert not production & DEVELOPER_ONLY, sorted(production & DEVELOPER_ONLY)


def test_production_installs_the_five_services_and_the_two_shared_libraries() -> None:
    members = set(_lock()["manifest"]["members"])
    assert production_dependencies() & members == PRODUCTION_MEMBERS


def test_developers_get_the_tools_and_the_tools_bring_what_production_leaves_out() -> None:
    # `uv sync --frozen` installs the dev group too; the walk must find what it is to exclude,
    # or the first test would pass for a reason of its own.
    lock = _lock()
    dev = _closure(lock, _requirements(_root(lock)["dev-dependencies"]["dev"]))
    assert dev >= DEVELOPER_ONLY


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_uv_export_without_dev_agrees() -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    exported = subprocess.run(
        [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-workspace"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {
        _normalized(re.split(r"[=<>;\s\[]", line, maxsplit=1)[0])
        for line in exported.splitlines()
        if line and not line.startswith(("#", " ", "-e"))
    }
    assert names, exported
    assert not names & DEVELOPER_ONLY, sorted(names & DEVELOPER_ONLY)
    members = set(_lock()["manifest"]["members"])
    assert names == {_normalized(n) for n in production_dependencies() - members}
