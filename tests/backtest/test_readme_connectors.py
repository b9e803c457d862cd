"""The README's "Connect your providers": the URLs are routes the gateway sends to ingest,
each secret's place is a setting or an accounts-file field that exists, and the example runs
as written against the running system (`e2e`) and shows its item in the deliveries log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crm_devstack.demo_account import LocalSecrets, demo_env_text
from crm_devstack.gateway_routes import service_for
from crm_ingest.main import build_app
from crm_ingest.settings import IngestSettings
from crm_servicekit.account_connectors import Connectors
from crm_servicekit.accounts import Accounts

from .conftest import System
from .readme_blocks import README, block_pattern, readme_block, run_readme_block

SECTION = re.compile(r"^## Connect your providers\n(.*?)(?=^## )", re.S | re.M)
BLOCK = block_pattern("connectors")
MID = "m_readme-connector-1"


def section() -> str:
    match = SECTION.search(README.read_text(encoding="utf-8"))
    assert match, "the README has no 'Connect your providers' section"
    return match.group(1)


def test_each_url_is_an_ingest_route_through_the_gateway() -> None:
    urls = re.findall(r"`(/api/hooks/[\w/<>]+)`", section())
    assert urls == [
        "/api/hooks/meta",
        "/api/hooks/calendly/<account_id>",
        "/api/hooks/calcom/<account_id>",
    ]
    app = build_app(IngestSettings(environment="test"), accounts=Accounts([]))
    served = app.openapi()["paths"]
    for url in urls:
        path = url.replace("<account_id>", "{account_id}")
        assert service_for("POST", url.replace("<account_id>", "demo")) == "ingest"
        assert "post" in served[path], path
    assert "get" in served["/api/hooks/meta"]


def test_each_secret_has_the_place_the_readme_gives_it() -> None:
    text = section()
    for variable in re.findall(r"`INGEST_(\w+)`", text):
        assert variable.lower() in IngestSettings.model_fields, variable
    for dotted in re.findall(r"`connectors\.([\w.]+)`", text):
        model: type = Connectors
        for part in dotted.split("."):
            assert part in model.model_fields, dotted
            model = model.model_fields[part].annotation  # type: ignore[assignment]
            if not isinstance(model, type):
                break


def test_the_example_uses_only_what_demo_env_exports(tmp_path: Path) -> None:
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match, "the README has no connectors example block"
    local = LocalSecrets.load_or_create(tmp_path)
    exported = {
        line.removeprefix("export ").split("=", 1)[0]
        for line in demo_env_text(
            "http://127.0.0.1:8000/api", "t", local, "http://127.0.0.1:8000/#token=t"
        ).splitlines()
    }
    used = set(re.findall(r"\$\{?([A-Z_]+)", match.group(1)))
    # crm webhook meta reads META_APP_SECRET from the environment.
    assert used | {"META_APP_SECRET"} <= exported


@pytest.mark.e2e
async def test_the_connectors_example_works_as_written(system: System) -> None:
    script = readme_block("connectors", system.state_dir)
    delivered, listed = await run_readme_block(script)
    status, answer = delivered.split(" ", 1)
    assert status == "200"
    assert json.loads(answer)["results"][0]["outcome"] in ("accepted", "duplicate")
    items = json.loads(listed)["items"]
    mine = [item for item in items if item["provider_id"] == MID]
    assert mine, items
    assert {item["connector"] for item in mine} == {"messenger"}
    assert mine[-1]["event_id"] == f"meta:{MID}"
