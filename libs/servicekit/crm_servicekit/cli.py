"""The ``crm`` command: mint a token, edit the local accounts, apply migrations, rebuild a
service from the topic, work through the dead letters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crm_servicekit.accounts import AccountsFileError, load_accounts
from crm_servicekit.accounts_cli import accounts_app
from crm_servicekit.auth import Role, mint_token
from crm_servicekit.db import apply_migrations
from crm_servicekit.dlq_cli import dlq_app
from crm_servicekit.durations import parse_duration
from crm_servicekit.local_state import (
    SECRETS_FILE,
    STATE_DIR_ENV,
    LocalStateError,
    local_accounts_file,
    local_jwt_secret,
    local_state_dir,
)
from crm_servicekit.rebuild_cli import rebuild
from crm_servicekit.settings import with_database_name
from crm_servicekit.webhook_cli import webhook_app

app = typer.Typer(name="crm", help="Frazer CRM operations.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(webhook_app, name="webhook")
app.add_typer(accounts_app, name="accounts")
app.command()(rebuild)

__all__ = ["app", "parse_duration"]


@app.command()
def token(
    account: Annotated[str, typer.Option(help="The account_id the token acts for.")],
    role: Annotated[Role, typer.Option(help="The person's role in the account.")] = Role.MEMBER,
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="CRM_JWT_SECRET",
            help="The services' JWT secret; by default the local system's, from the state "
            f"folder's {SECRETS_FILE} (${STATE_DIR_ENV}, else ./.local).",
            show_default=False,
        ),
    ] = None,
    sub: Annotated[str, typer.Option(help="The user id (sub claim).")] = "cli",
    ttl: Annotated[str, typer.Option(help="Lifetime: 8h, 30m, 7d, PT8H or seconds.")] = "8h",
    accounts_file: Annotated[
        Path | None,
        typer.Option(
            envvar="CRM_ACCOUNTS_FILE",
            help="Check that the account exists in it; by default the local system's when "
            "the secret is the local system's.",
        ),
    ] = None,
) -> None:
    """Print a bearer token for ACCOUNT that the services with this secret accept."""
    lifetime = parse_duration(ttl)
    if secret is None:
        state_dir = local_state_dir()
        try:
            secret = local_jwt_secret(state_dir)
        except LocalStateError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=1) from None
        accounts_file = accounts_file or local_accounts_file(state_dir)
    if accounts_file is not None:
        _check_account(account, accounts_file)
    typer.echo(mint_token(secret, account, sub, lifetime, role=role))


def _check_account(account: str, accounts_file: Path) -> None:
    try:
        accounts = load_accounts(accounts_file)
    except AccountsFileError as error:
        raise typer.BadParameter(str(error), param_hint="--accounts-file") from None
    if account not in accounts:
        known = ", ".join(sorted(a.account_id for a in accounts)) or "none"
        raise typer.BadParameter(
            f"{account!r} is not in {accounts_file} (accounts: {known}; add one with "
            "`crm accounts add`)",
            param_hint="--account",
        )


@app.command()
def migrate(
    dsn: Annotated[str, typer.Option(envvar="DATABASE_URL", help="The PostgreSQL server's DSN.")],
    database: Annotated[
        str | None,
        typer.Option(help="Use this database on the DSN's server (e.g. rules), as services do."),
    ] = None,
    directories: Annotated[
        list[Path] | None,
        typer.Option("--dir", help="A service's migrations folder; repeat for several."),
    ] = None,
) -> None:
    """Apply servicekit's migrations, then each --dir's; applying twice changes nothing."""
    target = with_database_name(dsn, database) if database else dsn
    applied = apply_migrations(target, *(directories or []))
    listing = f": {', '.join(applied)}" if applied else ""
    typer.echo(f"applied {len(applied)} migration(s){listing}")


if __name__ == "__main__":
    app()
