"""The README's commands and claims.

The quick start and the token block run as written against the running system through the
gateway (`e2e`); the other tests read the README and the documents it links, and hold what
they name (make targets, commands, modules, paths, links, addresses, the quick start's
outcome) to the repository, with no server. The accounts block runs on a state folder of its
own in tests/devstack/test_local_accounts.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crm_devstack import system_cli
from crm_devstack.app_servers import system_servers
from crm_devstack.demo_account import LocalSecrets, console_address, demo_env_text
from crm_devstack.gateway_routes import GATEWAY_PORT
from crm_devstack.settings import HOST, StackConfig
from crm_devstack.stack import SERVER_NAMES
from crm_devstack.system_stack import SystemInfo
from crm_servicekit.auth import Role, verify_token

from .conftest import System
from .readme_blocks import README, ROOT, readme_block, run_readme_block

# The README and the documents it links to in docs/ (docs/concordance/ is generated).
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]

# What the quick start leaves in the system: the e2e test finds it there, and the README's
# paragraph after the block names it.
STATE = ("qualified", "no_show", "No-Show")
REMINDERS = {
    "follow_up_2h": "2025-03-04T11:15:00Z",
    "follow_up_1d": "2025-03-05T09:15:00Z",
    "follow_up_7d": "2025-03-11T09:15:00Z",
}
NBA = ("rebook", 90)
# Each figure the e2e test reads (1 of each), and how the README says it.
COUNTS = {
    "invites_sent": "1 invite sent",
    "meetings_booked": "1 meeting booked",
    "no_shows": "1 no-show",
}


@pytest.mark.e2e
async def test_readme_quick_start_works_as_written(system: System) -> None:
    # The customer, reminders, NBA and stats are read right after the events were accepted;
    # the services apply them asynchronously, so the whole block is retried until it shows them
    # (a re-run is harmless: every event is de-duplicated by its event_id).
    script = readme_block("quickstart", system.state_dir)
    for _ in range(60):
        lines = await run_readme_block(script)
        answers = [
            json.loads(line.split(" ", 1)[1] if line[:3].isdigit() else line) for line in lines
        ]
        customer, reminders, nba, stats = answers[4:8]
        if (
            customer.get("booking", {}).get("state") == "no_show"
            and len(reminders.get("items", [])) >= 3
            and nba.get("action") == "rebook"
            and all(stats.get("counts", {}).get(name) == 1 for name in COUNTS)
        ):
            break
        await asyncio.sleep(1)
    assert answers[0]["status"] in ("accepted", "duplicate")
    assert (customer["status"], customer["booking"]["state"], customer["pipeline_status"]) == STATE
    scheduled = {r["type"]: r["scheduled_for"] for r in reminders["items"]}
    for reminder_type, scheduled_for in REMINDERS.items():
        assert scheduled[reminder_type] == scheduled_for
    assert (nba["action"], nba["priority"]) == NBA
    assert "No-show" in nba["reason"]
    counts = stats["counts"]
    assert {name: counts[name] for name in COUNTS} == dict.fromkeys(COUNTS, 1)


@pytest.mark.e2e
async def test_readme_tokens_are_accepted_by_the_running_system(system: System) -> None:
    script = readme_block("tokens", system.state_dir)
    answers = re.findall(r"^# -> (\d+)$", script, re.M)
    # The block as written, then its tokens printed, to read their claims.
    lines = await run_readme_block(
        script + 'echo "$TOKEN"\necho "$ADMIN_TOKEN"\n', system.state_dir
    )
    *statuses, member, admin = lines
    assert statuses == answers == ["200", "200"]
    secret = LocalSecrets.load_or_create(system.state_dir).jwt_secret
    claims = verify_token(secret, member)
    assert (claims.account_id, claims.role) == ("demo", Role.MEMBER)
    assert verify_token(secret, admin).role is Role.ADMIN


def _exported(demo_env: str) -> dict[str, str]:
    return dict(line.removeprefix("export ").split("=", 1) for line in demo_env.splitlines())


@pytest.mark.e2e
async def test_make_up_writes_the_console_address_that_signs_the_demo_account_in(
    system: System,
) -> None:
    exported = _exported((system.state_dir / "demo.env").read_text())
    gateway = system.api.removesuffix("/api")
    assert exported["CRM_CONSOLE"] == console_address(gateway, exported["TOKEN"])
    claims = verify_token(
        LocalSecrets.load_or_create(system.state_dir).jwt_secret, exported["TOKEN"]
    )
    assert claims.account_id == "demo"
    # The address's page is the console (tests/backtest/test_console_end_to_end.py drives it).
    async with httpx.AsyncClient() as client:
        page = await client.get(exported["CRM_CONSOLE"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in page.text


def test_the_quick_start_names_the_console_address_make_up_prints_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = f"http://{HOST}:{GATEWAY_PORT}"
    quick_start = README.read_text(encoding="utf-8").split("## Quick start", 1)[1]
    assert "`CRM_CONSOLE`" in quick_start
    assert f"`{console_address(gateway, '<token>')}`" in quick_start
    local = LocalSecrets.load_or_create(tmp_path)
    console = console_address(gateway, "a.token")
    exported = _exported(demo_env_text(f"{gateway}/api", "a.token", local, console))
    assert exported["CRM_CONSOLE"] == f"{gateway}/#token=a.token"
    # What `make up` (crm-devstack system up) prints, as one line nothing wraps.
    info = SystemInfo(f"{gateway}/api", console, "demo", "a.token", "whsec_x", tmp_path / "e")

    async def brought_up(*_: object) -> SystemInfo:
        return info

    monkeypatch.setattr(system_cli, "bring_up_system", brought_up)
    printed = CliRunner().invoke(system_cli.system_app, ["up"]).output.splitlines()
    assert f"console:        {console}" in printed


def _outcome_paragraph() -> str:
    text = README.read_text(encoding="utf-8")
    after = text.split("<!-- quickstart:end -->", 1)[1]
    return " ".join(after.split("\n## ", 1)[0].split())


def test_the_readme_names_what_the_quick_start_leaves() -> None:
    told = _outcome_paragraph()
    status, booking, term = STATE
    assert f"`{status}` with booking `{booking}` (`{term}` in the frazer vocabulary)" in told
    for reminder_type, scheduled_for in REMINDERS.items():
        assert f"`{reminder_type}` at {scheduled_for}" in told
    action, priority = NBA
    assert f"`{action}` at priority {priority}, its reason naming the no-show" in told
    assert ", ".join(COUNTS.values()) in told


def _makefile_targets() -> dict[str, str]:
    """Each target of the Makefile, with its prerequisites and recipe as one text."""
    targets: dict[str, str] = {}
    current: str | None = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([a-z][\w-]*):(?!=)(.*)$", line):
            current = match[1]
            targets[current] = match[2]
        elif line.startswith("\t") and current is not None:
            targets[current] += "\n" + line
        else:
            current = None
    return targets


def test_every_make_target_the_documents_name_exists() -> None:
    targets = _makefile_targets()
    for document in DOCUMENTS:
        named = set(re.findall(r"(?:^|`)make ([a-z][\w-]*)", document.read_text(), re.MULTILINE))
        assert named <= set(targets), f"{document.name} names {named - set(targets)}"
    assert {"up", "test", "down", "status", "lint", "help"} <= set(
        re.findall(r"(?:^|`)make ([a-z][\w-]*)", README.read_text(), re.MULTILINE)
    )


def test_the_two_commands_install_first_then_run_the_system_and_the_tests() -> None:
    targets = _makefile_targets()
    assert targets["up"].split("\n")[0].split() == ["install"]
    assert "crm-devstack system up" in targets["up"]
    assert targets["test"].split("\n")[0].split() == ["sync"]
    assert "pytest" in targets["test"]
    assert "sync --frozen" in targets["sync"]
    assert targets["install"].split("\n")[0].split() == ["sync"]
    assert "crm-devstack install" in targets["install"]
    assert "crm-devstack system down" in targets["down"]
    assert "crm-devstack status" in targets["status"]
    assert "ruff check" in targets["lint"]
    assert "mypy" in targets["lint"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "3.11" in project["requires-python"]


def test_make_up_runs_the_servers_the_five_services_and_the_gateway_under_dot_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CRM_STATE_DIR", raising=False)
    config = StackConfig.from_env()
    assert config.state_dir == (ROOT / ".local").resolve()
    assert SERVER_NAMES == ("kafka", "postgres", "redis")
    names = [server.name for server in system_servers(config)]
    assert names == ["ingest", "customers", "rules", "nba", "stats", "gateway"]
    assert f"`{HOST}:{GATEWAY_PORT}`" in README.read_text(encoding="utf-8")


def _console_scripts() -> set[str]:
    scripts: set[str] = set()
    for pyproject in [ROOT / "pyproject.toml", *ROOT.glob("*/*/pyproject.toml")]:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        scripts |= set(project.get("scripts", {}))
    return scripts


def test_every_command_and_module_the_documents_run_exists() -> None:
    scripts = _console_scripts()
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for program in re.findall(r"uv run (?:--frozen )?([\w.-]+)", text):
            installed = (Path(sys.executable).parent / program).is_file()  # pytest, ruff...
            assert program in scripts or installed, f"{document.name}: {program}"
        for module, placeholder in re.findall(r"python -m ([\w.]+)(<?)", text):
            if placeholder:
                continue  # `python -m bench.<name>`: a pattern, not a module
            assert importlib.util.find_spec(module) is not None, f"{document.name}: {module}"


def test_the_repository_map_names_every_folder_and_only_real_ones() -> None:
    text = README.read_text(encoding="utf-8")
    mapped = {path.rstrip("/") for path in re.findall(r"^\| `([\w./-]+)` \|", text, re.MULTILINE)}
    for path in mapped:
        assert (ROOT / path).is_dir(), f"the map names {path}, which is not a folder"
    top = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    nested = {
        f"{group}/{p.name}"
        for group in ("services", "libs")
        for p in (ROOT / group).iterdir()
        if (p / "pyproject.toml").is_file()
    }
    covered = mapped | {path.split("/")[0] for path in mapped}
    assert top <= covered, f"not in the map: {top - covered}"
    assert nested <= mapped, f"not in the map: {nested - mapped}"
    # "the tests, one folder per service and library"
    assert {path.split("/")[1] for path in nested} <= {p.name for p in (ROOT / "tests").iterdir()}


def _slug(heading: str) -> str:
    """The anchor a Markdown heading gets: lowercased, punctuation dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_stay_inside_the_repository_and_lead_somewhere() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        assert "/work/" not in text, document.name
        assert "shared/design" not in text, document.name
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            assert linked.is_relative_to(ROOT.resolve()), f"{document.name} links out: {target}"
            assert linked.exists(), f"{document.name} links to a missing {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.MULTILINE)
                assert anchor in {_slug(h) for h in headings}, f"{document.name}: {target}"
