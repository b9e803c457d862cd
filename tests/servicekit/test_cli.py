from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crm_servicekit.accounts import write_accounts_file
from crm_servicekit.auth import Role, verify_token
from crm_servicekit.cli import app, parse_duration
from crm_servicekit.clock import SYSTEM_CLOCK

SECRET = "cli-test-secret-0123456789abcdefghij"
LOCAL_SECRET = "the-local-systems-secret-0123456789abcdef"
runner = CliRunner()


def test_token_is_verifiable_with_the_secret_from_the_environment() -> None:
    result = runner.invoke(
        app,
        ["token", "--account", "demo", "--sub", "maria", "--ttl", "30m"],
        env={"CRM_JWT_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output
    claims = verify_token(SECRET, result.stdout.strip())
    assert (claims.account_id, claims.sub) == ("demo", "maria")
    remaining = claims.exp - SYSTEM_CLOCK.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def _local_state(state_dir: Path, *account_ids: str) -> Path:
    """A state folder as `make up` leaves it: the services' secrets and the accounts file."""
    (state_dir / "secrets.json").write_text(json.dumps({"jwt_secret": LOCAL_SECRET}))
    write_accounts_file(state_dir / "accounts.json", [{"account_id": a} for a in account_ids])
    return state_dir


def test_without_a_secret_the_token_is_signed_with_the_local_systems(tmp_path: Path) -> None:
    state_dir = _local_state(tmp_path, "demo", "acme")
    env = {"CRM_JWT_SECRET": None, "CRM_STATE_DIR": str(state_dir), "CRM_ACCOUNTS_FILE": None}
    result = runner.invoke(app, ["token", "--account", "acme"], env=env)
    assert result.exit_code == 0, result.output
    claims = verify_token(LOCAL_SECRET, result.stdout.strip())
    assert (claims.account_id, claims.sub, claims.role) == ("acme", "cli", Role.MEMBER)


def test_the_role_option_puts_the_role_in_the_token(tmp_path: Path) -> None:
    env = {"CRM_JWT_SECRET": None, "CRM_STATE_DIR": str(_local_state(tmp_path, "demo"))}
    admin = runner.invoke(app, ["token", "--account", "demo", "--role", "admin"], env=env)
    assert admin.exit_code == 0, admin.output
    assert verify_token(LOCAL_SECRET, admin.stdout.strip()).role is Role.ADMIN
    refused = runner.invoke(app, ["token", "--account", "demo", "--role", "owner"], env=env)
    assert refused.exit_code == 2
    assert "--role" in refused.output


def test_without_a_secret_or_a_local_system_it_says_both_ways_and_prints_no_token(
    tmp_path: Path,
) -> None:
    env = {"CRM_JWT_SECRET": None, "CRM_STATE_DIR": str(tmp_path / "none")}
    result = runner.invoke(app, ["token", "--account", "demo"], env=env)
    assert result.exit_code == 1
    assert result.stdout == ""
    for named in ("--secret", "CRM_JWT_SECRET", str(tmp_path / "none" / "secrets.json")):
        assert named in result.stderr
    assert "make up" in result.stderr


def test_an_account_the_local_system_lacks_is_refused_naming_the_ones_it_has(
    tmp_path: Path,
) -> None:
    env = {"CRM_JWT_SECRET": None, "CRM_STATE_DIR": str(_local_state(tmp_path, "demo", "acme"))}
    refused = runner.invoke(app, ["token", "--account", "ghost"], env=env)
    assert refused.exit_code == 2
    assert "'ghost' is not in" in refused.output
    assert "acme, demo" in refused.output


def test_a_secret_given_is_used_whatever_the_local_state(tmp_path: Path) -> None:
    # Production: the secret comes from the environment, and no local accounts file is asked.
    env = {"CRM_JWT_SECRET": SECRET, "CRM_STATE_DIR": str(_local_state(tmp_path, "demo"))}
    result = runner.invoke(app, ["token", "--account", "elsewhere"], env=env)
    assert result.exit_code == 0, result.output
    assert verify_token(SECRET, result.stdout.strip()).account_id == "elsewhere"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8h", timedelta(hours=8)),
        ("30m", timedelta(minutes=30)),
        ("7d", timedelta(days=7)),
        ("90s", timedelta(seconds=90)),
        ("PT2H30M", timedelta(hours=2, minutes=30)),
        ("3600", timedelta(hours=1)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_bad_duration_is_a_usage_error() -> None:
    with pytest.raises(typer.BadParameter, match="not a duration"):
        parse_duration("soon")
    result = runner.invoke(
        app, ["token", "--account", "demo", "--ttl", "soon"], env={"CRM_JWT_SECRET": SECRET}
    )
    assert result.exit_code == 2
