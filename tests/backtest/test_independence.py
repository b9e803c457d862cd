"""The oracle must not share the services' code paths: crm_backtest imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import crm_backtest

FORBIDDEN = ("crm_schemas", "crm_servicekit", "crm_devstack", "crm_ingest", "crm_customers",
             "crm_rules", "crm_nba", "crm_stats")  # fmt: skip


def imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_backtest_package_imports_no_service_or_shared_code() -> None:
    package = Path(crm_backtest.__file__).parent
    sources = sorted(package.glob("*.py"))
    assert len(sources) > 10
    for source in sources:
        shared = {m for m in imported_modules(source) if m.split(".")[0] in FORBIDDEN}
        assert not shared, f"{source.name} imports {shared}"
