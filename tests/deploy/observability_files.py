"""Reading deploy/observability/ for its tests: the PromQL of the dashboard and the alert
rules, the metric names that PromQL uses, and the metric names the five services serve."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from crm_customers.main import build_app as customers_app
from crm_customers.settings import CustomersSettings
from crm_devstack.system_packages import install_packages, missing_packages
from crm_ingest.main import build_app as ingest_app
from crm_ingest.settings import IngestSettings
from crm_nba.main import build_app as nba_app
from crm_nba.settings import NbaSettings
from crm_rules.main import build_app as rules_app
from crm_rules.settings import RulesSettings
from crm_servicekit.accounts import Account, Accounts
from crm_stats.main import build_app as stats_app
from crm_stats.settings import StatsSettings

from .manifests import DEPLOY

OBSERVABILITY = DEPLOY / "observability"
DASHBOARD = OBSERVABILITY / "dashboard.json"
ALERTS = OBSERVABILITY / "alerts.yaml"
ALERTS_TEST = OBSERVABILITY / "alerts_test.yaml"
PODMONITORS = OBSERVABILITY / "podmonitors.yaml"
# The name alerts_test.yaml gives the rules file (alerts.yaml's spec).
RULES_FILE_NAME = "crm.rules.yaml"

# Words of PromQL that look like metric names: functions are followed by "(", these are not.
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "inf", "nan"}
# What Prometheus itself records for every target, which no service serves.
PROMETHEUS_OWN = {"up"}


def promtool() -> str:
    """promtool, installed from Debian's prometheus package when missing (as root)."""
    if shutil.which("promtool") is None:
        install_packages(missing_packages(["promtool"]), print)
    found = shutil.which("promtool")
    assert found is not None, "promtool could not be installed"
    return found


def dashboard() -> dict[str, Any]:
    loaded = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside collapsed rows too."""
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_expressions(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of the dashboard."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(board)
        for target in panel.get("targets", [])
    ]


def rule_groups() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    groups: list[dict[str, Any]] = document["spec"]["groups"]
    return groups


def write_rules_file(folder: Path, groups: list[dict[str, Any]]) -> Path:
    path = folder / RULES_FILE_NAME
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8")
    return path


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (what promtool has parsed already)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    # The label lists of aggregations and vector matching.
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def _family_names(kind: str, name: str) -> set[str]:
    """The names under which a family's samples are queried."""
    if kind == "counter":
        return {name, f"{name}_total"}
    if kind == "histogram":
        return {name, f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    if kind == "summary":
        return {name, f"{name}_sum", f"{name}_count"}
    return {name}


def _apps(tmp: Path) -> dict[str, FastAPI]:
    """Each service's app as its `run()` builds it, with test settings (nothing started)."""
    accounts = Accounts([Account(account_id="acme")])
    common: dict[str, Any] = {
        "environment": "test",
        "accounts_file": tmp / "accounts.yaml",
        "database_url": "postgresql://postgres@127.0.0.1:5432/unused",
    }
    return {
        "ingest": ingest_app(IngestSettings(**common), accounts=accounts),
        "customers": customers_app(CustomersSettings(**common), accounts=accounts),
        "rules": rules_app(RulesSettings(**common), accounts=accounts),
        "nba": nba_app(NbaSettings(**common), accounts=accounts),
        "stats": stats_app(StatsSettings(**common), accounts=accounts),
    }


async def _scrape(app: FastAPI) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return answer.text


def served_metric_names(tmp: Path) -> set[str]:
    """The names the services' GET /metrics offer to queries. The apps share this process's
    registry, so this is what all five serve together, and only what they register by
    building their app, as they do at start."""
    served = set()
    for app in _apps(tmp).values():
        text = asyncio.run(_scrape(app))
        served |= {
            name
            for family in text_string_to_metric_families(text)
            for name in _family_names(family.type, family.name)
        }
    return served
