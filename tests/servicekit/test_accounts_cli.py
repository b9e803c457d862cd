"""`crm accounts`: the local accounts file edited from the command line, each change checked as
the services read the file and put in place in one rename."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crm_servicekit.accounts import load_accounts
from crm_servicekit.accounts_file import WRITTEN_BY_MAKE_UP
from crm_servicekit.cli import app

runner = CliRunner()
WHSEC = re.compile(r"whsec_[A-Za-z0-9+/=]{44}")


def crm(*args: str, state_dir: Path | None = None) -> Result:
    env = {"CRM_ACCOUNTS_FILE": None, "CRM_STATE_DIR": str(state_dir) if state_dir else None}
    return runner.invoke(app, ["accounts", *args], env=env)


def secrets_of(path: Path, account_id: str) -> tuple[str, ...]:
    account = load_accounts(path).get(account_id)
    assert account is not None
    return account.webhook_secrets


def test_add_writes_a_valid_account_with_a_new_secret_and_prints_it_once(tmp_path: Path) -> None:
    args = ["add", "acme", "--time-zone", "America/Chicago", "--region", "us"]
    result = crm(*args, state_dir=tmp_path)
    assert result.exit_code == 0, result.output
    path = tmp_path / "accounts.json"
    account = load_accounts(path).get("acme")
    assert account is not None
    assert (account.time_zone, account.default_region) == ("America/Chicago", "US")
    printed = WHSEC.findall(result.stdout)
    assert printed == list(account.webhook_secrets)
    assert "uv run crm token --account acme" in result.stdout
    assert path.stat().st_mode & 0o777 == 0o600  # it holds webhook secrets


def test_add_with_quiet_hours_and_a_second_account_keeps_the_first(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    assert crm("add", "acme", "--file", str(path)).exit_code == 0
    added = crm("add", "beta", "--quiet-hours", "22:00-07:00", "--file", str(path))
    assert added.exit_code == 0, added.output
    accounts = load_accounts(path)
    assert [a.account_id for a in accounts] == ["acme", "beta"]
    beta = accounts.get("beta")
    assert beta is not None
    assert beta.quiet_hours is not None
    assert (beta.quiet_hours.start.hour, beta.quiet_hours.end.hour) == (22, 7)


def test_add_refuses_an_existing_id_naming_the_accounts(tmp_path: Path) -> None:
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    before = (tmp_path / "accounts.json").read_bytes()
    refused = crm("add", "acme", state_dir=tmp_path)
    assert refused.exit_code == 2
    assert "'acme' is already in" in refused.stderr
    assert (tmp_path / "accounts.json").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["bad id!"], "ACCOUNT: must be 1 to 64 letters"),
        (["acme", "--time-zone", "Mars/Olympus"], "--time-zone: unknown IANA"),
        (["acme", "--region", "XX"], "--region: must be an ISO 3166-1 alpha-2"),
        (["acme", "--quiet-hours", "22:00"], "--quiet-hours: must be a pair"),
    ],
)
def test_add_refuses_a_bad_value_naming_the_option(
    tmp_path: Path, args: list[str], named: str
) -> None:
    refused = crm("add", *args, state_dir=tmp_path)
    assert refused.exit_code == 2
    assert named in refused.stderr
    assert "whsec_" not in refused.output
    assert not (tmp_path / "accounts.json").exists()


def test_list_shows_each_account_and_its_secret_count_never_a_secret(tmp_path: Path) -> None:
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    assert crm("rotate-secret", "acme", state_dir=tmp_path).exit_code == 0
    listed = crm("list", state_dir=tmp_path)
    assert listed.exit_code == 0, listed.output
    assert re.search(r"acme\s.*Europe/Oslo\s.*NO\s.*2\s.*you", listed.stdout)
    assert "1 account(s)" in listed.stdout
    assert "whsec_" not in listed.stdout


def test_rotate_adds_a_secret_and_keeps_the_old_until_it_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    (old,) = secrets_of(path, "acme")
    rotated = crm("rotate-secret", "acme", state_dir=tmp_path)
    assert rotated.exit_code == 0, rotated.output
    (new,) = WHSEC.findall(rotated.stdout)
    assert secrets_of(path, "acme") == (old, new)
    assert "remove-secret acme 0" in rotated.stdout
    removed = crm("remove-secret", "acme", "0", state_dir=tmp_path)
    assert removed.exit_code == 0, removed.output
    assert secrets_of(path, "acme") == (new,)


def test_remove_secret_by_its_start(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    assert crm("rotate-secret", "acme", state_dir=tmp_path).exit_code == 0
    old, new = secrets_of(path, "acme")
    assert crm("remove-secret", "acme", new[:16], state_dir=tmp_path).exit_code == 0
    assert secrets_of(path, "acme") == (old,)


@pytest.mark.parametrize(
    ("which", "told"),
    [
        ("5", "acme has 2 secret(s), numbered from 0; no number 5"),
        ("whsec_", "every secret starts with 'whsec_'"),
        ("whsec_nothing-like-it", "no secret of acme starts"),
    ],
)
def test_remove_secret_refuses_what_names_no_single_secret(
    tmp_path: Path, which: str, told: str
) -> None:
    path = tmp_path / "accounts.json"
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    assert crm("rotate-secret", "acme", state_dir=tmp_path).exit_code == 0
    before = path.read_bytes()
    refused = crm("remove-secret", "acme", which, state_dir=tmp_path)
    assert refused.exit_code == 2
    assert told in refused.stderr
    assert path.read_bytes() == before


def test_the_last_secret_is_not_removed(tmp_path: Path) -> None:
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    refused = crm("remove-secret", "acme", "0", state_dir=tmp_path)
    assert refused.exit_code == 2
    assert "only this secret" in refused.stderr
    assert len(secrets_of(tmp_path / "accounts.json", "acme")) == 1


def test_an_unknown_account_is_named_with_the_known_ones(tmp_path: Path) -> None:
    assert crm("add", "acme", state_dir=tmp_path).exit_code == 0
    refused = crm("rotate-secret", "ghost", state_dir=tmp_path)
    assert refused.exit_code == 2
    assert "'ghost' is not in" in refused.stderr
    assert "accounts: acme" in refused.stderr


def test_the_accounts_make_up_writes_are_not_changed_here(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    demo = {"account_id": "demo", "webhook_secrets": ["whsec_a2V5"]}
    path.write_text(json.dumps({WRITTEN_BY_MAKE_UP: ["demo"], "accounts": [demo]}))
    refused = crm("rotate-secret", "demo", state_dir=tmp_path)
    assert refused.exit_code == 2
    assert "written by `make up`" in refused.stderr
    assert re.search(r"demo\s.*1\s.*make up", crm("list", state_dir=tmp_path).stdout)


def test_a_change_to_a_file_the_services_would_refuse_is_not_written(tmp_path: Path) -> None:
    # A hand-written entry the services cannot read: adding beside it would keep a file that
    # every service refuses, so nothing is written, and the message names the entry and field.
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({"accounts": [{"account_id": "old", "time_zone": "Nowhere/X"}]}))
    before = path.read_bytes()
    refused = crm("add", "acme", state_dir=tmp_path)
    assert refused.exit_code == 2
    assert "not changed" in refused.stderr
    assert "account 'old' (entry 0): time_zone" in refused.stderr
    assert path.read_bytes() == before


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    assert crm("add", "acme", "--file", str(path)).exit_code == 0
    path.chmod(0o640)
    inode = path.stat().st_ino
    assert crm("add", "beta", "--file", str(path)).exit_code == 0
    # A new file renamed over the old one (a reader sees one or the other, whole), mode kept.
    assert path.stat().st_ino != inode
    assert path.stat().st_mode & 0o777 == 0o640
    assert [a.account_id for a in load_accounts(path)] == ["acme", "beta"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".accounts.yaml.lock", "accounts.yaml"]


def test_list_without_a_file_says_how_one_is_made(tmp_path: Path) -> None:
    refused = crm("list", state_dir=tmp_path)
    assert refused.exit_code == 2
    assert f"no accounts file at {tmp_path / 'accounts.json'}" in refused.stderr
    assert "crm accounts add" in refused.stderr


def test_a_file_with_no_accounts_yet_takes_the_first(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n")
    assert crm("add", "acme", "--file", str(path)).exit_code == 0
    assert [a.account_id for a in load_accounts(path)] == ["acme"]


def test_a_file_that_does_not_parse_is_named_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('{"accounts": [')
    for args in (["list"], ["add", "acme"]):
        refused = crm(*args, state_dir=tmp_path)
        assert refused.exit_code == 2
        assert "not valid YAML or JSON" in refused.stderr
    assert path.read_text() == '{"accounts": ['
