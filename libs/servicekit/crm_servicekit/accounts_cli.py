"""`crm accounts list|add|rotate-secret|remove-secret`: the accounts of the local accounts file.

Each change is checked as the services read the file and replaces it at once; the running
services pick it up without a restart. The accounts `make up` writes (demo and the backtest's)
are rewritten at its every start, so they are listed but not changed here.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from crm_servicekit.accounts import Account, AccountsFileError, parse_accounts
from crm_servicekit.accounts_file import (
    WRITTEN_BY_MAKE_UP,
    AccountsDocument,
    editing,
    read_document,
)
from crm_servicekit.local_state import STATE_DIR_ENV, local_accounts_file

accounts_app = typer.Typer(
    help="The accounts of the local accounts file (the running services read it).",
    no_args_is_help=True,
)
console = Console(highlight=False)

AccountsFile = Annotated[
    Path | None,
    typer.Option(
        "--file",
        envvar="CRM_ACCOUNTS_FILE",
        help=f"The accounts file; by default the local system's (${STATE_DIR_ENV}, else "
        "./.local, then accounts.json).",
        show_default=False,
    ),
]
AccountId = Annotated[str, typer.Argument(help="The account's id.", show_default=False)]


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and a base64 key of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@accounts_app.command("list")
def list_accounts(file: AccountsFile = None) -> None:
    """Each account with its time zone, region and how many webhook secrets it has (never the
    secrets themselves)."""
    path = file or local_accounts_file()
    if not path.exists():
        _fail(f"no accounts file at {path}: `make up` writes it, `crm accounts add` starts one")
    document = _read(path)
    try:
        accounts = parse_accounts(document.document, source=str(path))
    except AccountsFileError as error:
        _fail(str(error))
    table = Table("account", "time zone", "region", "webhook secrets", "kept by")
    for account in accounts:
        table.add_row(
            account.account_id,
            account.time_zone,
            account.default_region,
            str(len(account.webhook_secrets)),
            "make up" if account.account_id in document.written_by_make_up else "you",
        )
    console.print(f"{len(accounts)} account(s) in {path}")
    console.print(table)


@accounts_app.command("add")
def add(
    account: AccountId,
    time_zone: Annotated[str, typer.Option(help="IANA time zone; fixed once created.")] = (
        "Europe/Oslo"
    ),
    region: Annotated[str, typer.Option(help="Default phone region (ISO 3166-1 alpha-2).")] = "NO",
    quiet_hours: Annotated[
        str | None, typer.Option(help='Local "HH:MM-HH:MM", [start, end); may cross midnight.')
    ] = None,
    file: AccountsFile = None,
) -> None:
    """Add ACCOUNT with a new webhook secret, printed once (keep it: `list` never shows it)."""
    path = file or local_accounts_file()
    secret = new_webhook_secret()
    entry: dict[str, Any] = {
        "account_id": account,
        "time_zone": time_zone,
        "default_region": region,
        "webhook_secrets": [secret],
    }
    if quiet_hours is not None:
        entry["quiet_hours"] = quiet_hours.split("-", 1)
    try:
        Account.model_validate(entry)
    except ValidationError as error:
        _fail(f"{account!r} not added: {_invalid_options(error)}")
    with _editing(path) as document:
        if document.entry(account) is not None:
            _fail(f"{account!r} is already in {path}; accounts: {_known(document)}")
        if file is None and not path.exists():
            # The local system's file, started before any `make up`: none of its accounts is
            # make up's, so the first start keeps them all (or refuses one under its ids).
            document.document[WRITTEN_BY_MAKE_UP] = []
        document.entries.append(entry)
    typer.echo(f"added {account} to {path}")
    typer.echo(f"webhook secret: {secret}")
    typer.echo(f"a token:        uv run crm token --account {account}  (--role admin for an admin)")


@accounts_app.command("rotate-secret")
def rotate_secret(account: AccountId, file: AccountsFile = None) -> None:
    """Add a new webhook secret to ACCOUNT beside the ones it has: both are accepted until the
    old one is removed with `remove-secret`, once every sender signs with the new one."""
    path = file or local_accounts_file()
    secret = new_webhook_secret()
    with _editing(path) as document:
        entry = _users_entry(document, account, path)
        kept = list(entry.get("webhook_secrets") or [])
        entry["webhook_secrets"] = [*kept, secret]
    typer.echo(f"new webhook secret of {account} (number {len(kept)}): {secret}")
    if kept:
        typer.echo(
            f"{'the old one still works' if len(kept) == 1 else 'the old ones still work'}; once "
            f"senders use the new one: uv run crm accounts remove-secret {account} 0"
        )


@accounts_app.command("remove-secret")
def remove_secret(
    account: AccountId,
    secret: Annotated[
        str,
        typer.Argument(
            help="The secret's number (0 is the oldest) or the start of the secret.",
            show_default=False,
        ),
    ],
    file: AccountsFile = None,
) -> None:
    """Remove one of ACCOUNT's webhook secrets; its last one stays (rotate first)."""
    path = file or local_accounts_file()
    with _editing(path) as document:
        entry = _users_entry(document, account, path)
        kept: list[str] = list(entry.get("webhook_secrets") or [])
        index = _secret_index(kept, secret, account)
        if len(kept) == 1:
            _fail(f"{account} has only this secret; add one with `crm accounts rotate-secret`")
        del kept[index]
        entry["webhook_secrets"] = kept
    typer.echo(f"removed secret {index} of {account}; {len(kept)} left")


# The account's fields as `add` names them.
_OPTIONS = {
    "account_id": "ACCOUNT",
    "time_zone": "--time-zone",
    "default_region": "--region",
    "quiet_hours": "--quiet-hours",
}


def _invalid_options(error: ValidationError) -> str:
    return "; ".join(
        f"{_OPTIONS.get(str(item['loc'][0]), item['loc'][0]) if item['loc'] else 'entry'}: "
        f"{item['msg'].removeprefix('Value error, ')}"
        for item in error.errors()
    )


def _secret_index(kept: list[str], wanted: str, account: str) -> int:
    if wanted.isdigit():
        if int(wanted) < len(kept):
            return int(wanted)
        _fail(f"{account} has {len(kept)} secret(s), numbered from 0; no number {wanted}")
    if len(wanted) <= len("whsec_"):
        _fail("every secret starts with 'whsec_': give the secret's number or more of it")
    matching = [index for index, secret in enumerate(kept) if secret.startswith(wanted)]
    if len(matching) == 1:
        return matching[0]
    which = "no secret of {} starts" if not matching else f"{len(matching)} secrets of {{}} start"
    _fail(f"{which.format(account)} with the text given: give the secret's number or more of it")


def _users_entry(document: AccountsDocument, account: str, path: Path) -> dict[str, Any]:
    entry = document.entry(account)
    if entry is None:
        _fail(f"{account!r} is not in {path}; accounts: {_known(document)}")
    if account in document.written_by_make_up:
        _fail(
            f"{account!r} is written by `make up` at every start, with the local system's "
            "secrets; change an account of your own (`crm accounts add`)"
        )
    return entry


def _known(document: AccountsDocument) -> str:
    return ", ".join(sorted(document.account_ids())) or "none"


def _read(path: Path) -> AccountsDocument:
    try:
        return read_document(path)
    except AccountsFileError as error:
        _fail(str(error))


@contextmanager
def _editing(path: Path) -> Iterator[AccountsDocument]:
    """`accounts_file.editing`, with a refused change told plainly and the file left as it was."""
    try:
        with editing(path) as document:
            yield document
    except AccountsFileError as error:
        _fail(f"{path} not changed: {error}")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
