"""Every service keeps the skeleton of docs/service-skeleton.md, and production stays production.

Read from the source tree (no imports): the module names of each service package, the imports
of every production module, SQL outside repositories, and the length of every source file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("ingest", "customers", "rules", "nba", "stats")

# Wiring and settings are the service's own; the other roles may sit in aggregate subpackages.
TOP_ROLES = ("main", "settings", "consumer", "migrations")
AGGREGATE_ROLES = ("api", "schemas", "service", "policy", "repository", "announce")

# A service with more than one aggregate keeps each in a subpackage with the roles inside.
AGGREGATES: dict[str, tuple[str, ...]] = {
    "customers": ("customers", "interactions", "automation"),
}

# Roles a service (or aggregate) does not have, and why.
WITHOUT: dict[str, dict[str, str]] = {
    "stats": {"announce": "stats emits no event: it reads the topic and serves figures"},
}

# Modules beside the skeleton, and why each exists.
ALLOWED: dict[str, dict[str, str]] = {
    "customers": {
        "claims": "the client of ingest's identity claim endpoint (ingest holds them)",
        "seeding": "the background loop that seeds each account's automation settings from the "
        "accounts file the first time the service sees it",
    },
    "ingest": {
        "rate_limit": "a Redis adapter: the token bucket per (account, endpoint) in Lua, "
        "and in the process's memory while Redis cannot be asked",
        "graph_api": "the Graph API client: Lead Ads answers are read from Meta",
        "published": "data, not code: the API's OpenAPI and AsyncAPI documents, which "
        "crm_devstack.contract generates and ingest serves for the whole gateway",
    },
    "nba": {"timer": "the background loop that recomputes answers time changes, and coaches"},
    "rules": {"scheduler": "the background loop that runs service.due's pass every interval"},
    "stats": {"ticker_stream": "Redis adapter and relay loop: ticker items into Redis Streams"},
}

# What production code never imports: benchmarks, tests and developer tooling.
NOT_IN_PRODUCTION = ("bench", "tests", "crm_devstack", "crm_backtest", "pytest", "hypothesis")
# What pure rules (and the builders of the events a service emits) never import: anything
# that does I/O or knows HTTP, the plumbing that does, and the service's own I/O roles.
IO_MODULES = ("asyncpg", "fastapi", "starlette", "aiokafka", "faststream", "redis", "httpx")
IO_PLUMBING = frozenset(
    f"crm_servicekit.{name}"
    for name in (
        *("connection", "db", "runtime", "outbox", "kafka", "consumer", "http", "dlq"),
        *("idempotency_store", "idempotency"),
    )
)
IO_ROLES = ("api", "service", "repository", "consumer", "main")
# Ingest has no outbox: its announce publishes to Kafka itself, answering only after the ack.
ANNOUNCE_PUBLISHES = {"ingest"}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET)\b", re.S)
MAX_LINES = 300


def package(service: str) -> Path:
    return ROOT / "services" / service / f"crm_{service}"


def names_in(folder: Path) -> set[str]:
    """Modules (without .py) and subpackages or folders of a package, caches left out."""
    found = set()
    for path in folder.iterdir():
        if path.name in {"__init__.py", "__pycache__"}:
            continue
        if path.suffix == ".py":
            found.add(path.stem)
        elif path.is_dir():
            found.add(path.name)
    return found


def role_owner(service: str, module: Path) -> str | None:
    """The skeleton role a module belongs to (its own name, or its role package's)."""
    parts = module.relative_to(package(service)).with_suffix("").parts
    for part in parts:
        if part in TOP_ROLES or part in AGGREGATE_ROLES:
            return part
    return None


def modules(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_every_module_of_the_skeleton(service: str) -> None:
    without = WITHOUT.get(service, {})
    have = names_in(package(service))
    missing = [role for role in TOP_ROLES if role not in have and role not in without]
    for aggregate in AGGREGATES.get(service, ("",)):
        where = package(service) / aggregate if aggregate else package(service)
        inside = names_in(where) if where.is_dir() else set()
        missing += [
            f"{aggregate}/{role}".lstrip("/")
            for role in AGGREGATE_ROLES
            if role not in inside and f"{aggregate}/{role}".lstrip("/") not in without
        ]
    assert not missing, f"crm_{service} lacks {missing} (docs/service-skeleton.md)"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_no_module_outside_the_skeleton(service: str) -> None:
    allowed = set(TOP_ROLES) | set(ALLOWED.get(service, {}))
    aggregates = AGGREGATES.get(service, ())
    if not aggregates:
        allowed |= set(AGGREGATE_ROLES)
    outside = sorted(names_in(package(service)) - allowed - set(aggregates))
    for aggregate in aggregates:
        extra = names_in(package(service) / aggregate) - set(AGGREGATE_ROLES)
        outside += sorted(f"{aggregate}/{name}" for name in extra - set(ALLOWED.get(service, {})))
    assert not outside, f"crm_{service} has modules outside the skeleton: {outside}"


def production_modules() -> Iterator[Path]:
    for service in SERVICES:
        yield from modules(package(service))
    yield from modules(ROOT / "libs" / "schemas" / "crm_schemas")
    yield from modules(ROOT / "libs" / "servicekit" / "crm_servicekit")


@pytest.mark.parametrize("path", list(production_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_production_code_imports_no_benchmark_test_or_tooling(path: Path) -> None:
    bad = sorted(name for name in imported(path) if top(name) in NOT_IN_PRODUCTION)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    others = {f"crm_{s}" for s in SERVICES if s != service}
    for path in modules(package(service)):
        bad = sorted(name for name in imported(path) if top(name) in others)
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def does_io(service: str, name: str) -> bool:
    own = f"crm_{service}."
    if name.startswith(own):
        return any(part in IO_ROLES for part in name.removeprefix(own).split("."))
    return top(name) in IO_MODULES or name in IO_PLUMBING


@pytest.mark.parametrize("service", SERVICES)
def test_policy_does_no_io_and_services_know_no_http(service: str) -> None:
    for path in modules(package(service)):
        role = role_owner(service, path)
        names = imported(path)
        pure = role == "policy" or (role == "announce" and service not in ANNOUNCE_PUBLISHES)
        if pure:
            io = sorted(name for name in names if does_io(service, name))
            assert not io, f"{path.relative_to(ROOT)} is pure but imports {io}"
        if role == "service":
            http = {top(name) for name in names} & {"fastapi", "starlette"}
            assert not http, f"{path.relative_to(ROOT)} knows HTTP"


@pytest.mark.parametrize("service", SERVICES)
def test_sql_lives_in_repositories(service: str) -> None:
    for path in modules(package(service)):
        if role_owner(service, path) == "repository":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not SQL.search(node.value), (
                    f"{path.relative_to(ROOT)}:{node.lineno} holds SQL outside the repository"
                )


def source_files() -> Iterator[Path]:
    for folder in ("services", "libs", "bench", "tests", "deploy"):
        yield from modules(ROOT / folder)


def test_no_source_file_is_over_300_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in source_files()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these before they grow further: {long}"
