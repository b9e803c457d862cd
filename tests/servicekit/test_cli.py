from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crm_servicekit.accounts import write_accounts_file
from crm_servicekit.auth import verify_token
from crm_servicekit.cli import app, parse_duration
from crm_servicekit.clock import SYSTEM_CLOCK
from crm_servicekit.settings import DEVELOPMENT_JWT_SECRET

SECRET = "cli-test-secret-0123456789abcdefghij"
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


def test_without_a_secret_the_token_fits_the_development_default() -> None:
    result = runner.invoke(app, ["token", "--account", "demo"], env={"CRM_JWT_SECRET": None})
    assert result.exit_code == 0, result.output
    assert verify_token(DEVELOPMENT_JWT_SECRET, result.stdout.strip()).sub == "cli"


def test_account_is_checked_against_the_accounts_file(tmp_path: Path) -> None:
    accounts_file = write_accounts_file(tmp_path / "accounts.yaml", [{"account_id": "demo"}])
    env = {"CRM_JWT_SECRET": SECRET, "CRM_ACCOUNTS_FILE": str(accounts_file)}
    assert runner.invoke(app, ["token", "--account", "demo"], env=env).exit_code == 0
    refused = runner.invoke(app, ["token", "--account", "ghost"], env=env)
    assert refused.exit_code == 2
    assert "'ghost' is not in" in refused.output
    assert "demo" in refused.output


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
    result = runner.invoke(app, ["token", "--account", "demo", "--ttl", "soon"])
    assert result.exit_code == 2
