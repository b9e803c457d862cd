"""The local accounts file across `make up`s, without servers: the demo and backtest accounts
rewritten at every start, the user's own kept as they are, and `crm token` minting with the
secret the services are started with."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crm_devstack.app_servers import APP_SERVER_TYPES
from crm_devstack.demo_account import BACKTEST_ACCOUNTS, LocalSecrets, write_accounts_file
from crm_devstack.local_accounts import LocalAccountsError
from crm_devstack.settings import StackConfig
from crm_servicekit.accounts import load_accounts
from crm_servicekit.accounts_file import WRITTEN_BY_MAKE_UP
from crm_servicekit.auth import Role, verify_token
from crm_servicekit.cli import app as crm

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
OURS = ["demo", *(name for name, _, _ in BACKTEST_ACCOUNTS)]
# A user's entry as they wrote it by hand: its shape (a duration as text, keys in their order)
# is kept, not rewritten into the launcher's.
HANDWRITTEN = {"time_zone": "Asia/Kolkata", "account_id": "mine", "overdue_grace": "PT2H"}
runner = CliRunner()


def start(state_dir: Path) -> Path:
    """What each `make up` does to the file (bring_up_system, and each service's start)."""
    return write_accounts_file(state_dir, LocalSecrets.load_or_create(state_dir))


def document(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_the_users_accounts_are_kept_across_two_starts(tmp_path: Path) -> None:
    path = start(tmp_path)
    added = runner.invoke(crm, ["accounts", "add", "acme", "--file", str(path)])
    assert added.exit_code == 0, added.output
    by_hand = document(path)
    by_hand["accounts"].append(HANDWRITTEN)
    path.write_text(json.dumps(by_hand))
    users = by_hand["accounts"][len(OURS) :]

    for _ in range(2):
        start(tmp_path)
        kept = document(path)
        assert kept[WRITTEN_BY_MAKE_UP] == OURS
        assert [a["account_id"] for a in kept["accounts"]] == [*OURS, "acme", "mine"]
        assert kept["accounts"][len(OURS) :] == users
    assert [a.account_id for a in load_accounts(path)] == [*OURS, "acme", "mine"]


def test_our_accounts_are_rewritten_whatever_was_changed_in_them(tmp_path: Path) -> None:
    path = start(tmp_path)
    first = path.read_text()
    changed = document(path)
    changed["accounts"][0]["time_zone"] = "Asia/Tokyo"
    path.write_text(json.dumps(changed))
    start(tmp_path)
    assert path.read_text() == first


def test_a_file_from_before_the_users_accounts_becomes_ours_and_keeps_any_other_entry(
    tmp_path: Path,
) -> None:
    # An earlier `make up` wrote the whole file, without naming its entries.
    path = start(tmp_path)
    earlier = document(path)
    del earlier[WRITTEN_BY_MAKE_UP]
    earlier["accounts"].append(HANDWRITTEN)
    path.write_text(json.dumps(earlier))
    kept = document(start(tmp_path))
    assert kept[WRITTEN_BY_MAKE_UP] == OURS
    assert kept["accounts"][len(OURS) :] == [HANDWRITTEN]


@pytest.mark.parametrize("taken", ["demo", "demo-oslo"])
def test_a_users_account_under_one_of_our_ids_stops_the_start_and_changes_nothing(
    tmp_path: Path, taken: str
) -> None:
    path = start(tmp_path)
    users = document(path)
    users["accounts"].append({"account_id": taken, "time_zone": "UTC"})
    path.write_text(json.dumps(users))
    before = path.read_bytes()
    with pytest.raises(LocalAccountsError, match=f"'{taken}' is written by `make up`") as refused:
        start(tmp_path)
    assert "another id" in str(refused.value)
    assert path.read_bytes() == before


def test_accounts_added_before_the_first_start_are_kept_or_refused_by_it(tmp_path: Path) -> None:
    env = {"CRM_STATE_DIR": str(tmp_path), "CRM_ACCOUNTS_FILE": None}
    for account in ("acme", "demo-ny"):
        added = runner.invoke(crm, ["accounts", "add", account], env=env)
        assert added.exit_code == 0, added.output
    with pytest.raises(LocalAccountsError, match="'demo-ny' is written by `make up`"):
        start(tmp_path)
    kept = document(tmp_path / "accounts.json")
    kept["accounts"] = [a for a in kept["accounts"] if a["account_id"] != "demo-ny"]
    (tmp_path / "accounts.json").write_text(json.dumps(kept))
    accounts = document(start(tmp_path))["accounts"]
    assert [a["account_id"] for a in accounts] == [*OURS, "acme"]


def test_a_users_account_the_services_would_refuse_stops_the_start_naming_it(
    tmp_path: Path,
) -> None:
    path = start(tmp_path)
    users = document(path)
    users["accounts"].append({"account_id": "mine", "default_region": "XX"})
    path.write_text(json.dumps(users))
    before = path.read_bytes()
    with pytest.raises(LocalAccountsError, match=r"account 'mine' \(entry 4\): default_region"):
        start(tmp_path)
    assert path.read_bytes() == before


def test_a_file_that_does_not_parse_stops_the_start_and_is_kept_for_its_owner(
    tmp_path: Path,
) -> None:
    path = start(tmp_path)
    path.write_text('{"accounts": [{"account_id": "mine",')
    with pytest.raises(LocalAccountsError, match=r"left as it was: .*not valid YAML or JSON"):
        start(tmp_path)
    assert path.read_text() == '{"accounts": [{"account_id": "mine",'


def test_crm_token_signs_with_the_secret_the_services_are_started_with(
    tmp_path: Path,
) -> None:
    config = StackConfig.from_env(tmp_path)
    services_secret = APP_SERVER_TYPES["customers"](config).command().env["CRM_JWT_SECRET"]
    env = {"CRM_STATE_DIR": str(tmp_path), "CRM_JWT_SECRET": None, "CRM_ACCOUNTS_FILE": None}
    for role in Role:
        minted = runner.invoke(crm, ["token", "--account", "demo", "--role", role.value], env=env)
        assert minted.exit_code == 0, minted.output
        claims = verify_token(services_secret, minted.stdout.strip())
        assert (claims.account_id, claims.role) == ("demo", role)


def test_the_readmes_account_commands_work_as_written_and_the_account_stays(
    tmp_path: Path,
) -> None:
    start(tmp_path)  # the state folder as `make up` leaves it
    block = re.search(r"<!-- accounts:begin -->\n```sh\n(.*?)```", README.read_text(), re.S)
    assert block, "the README has no accounts block"
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.group(1)],
        cwd=ROOT,
        env={**_without("CRM_ACCOUNTS_FILE", "CRM_JWT_SECRET"), "CRM_STATE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    rotated = re.findall(r"new webhook secret of acme \(number 1\): (whsec_\S+)", ran.stdout)
    token = ran.stdout.splitlines()[-1]
    claims = verify_token(LocalSecrets.load_or_create(tmp_path).jwt_secret, token)
    assert claims.account_id == "acme"
    start(tmp_path)  # the next `make up`
    acme = load_accounts(tmp_path / "accounts.json").get("acme")
    assert acme is not None
    assert (acme.time_zone, acme.default_region) == ("America/Chicago", "US")
    assert list(acme.webhook_secrets) == rotated


def _without(*names: str) -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in names}
