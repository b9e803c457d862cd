"""`crm-backtest`: generate a history, or run a whole backtest against the gateway."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crm_backtest.accounts import (
    BACKTEST_ACCOUNT_IDS,
    DEFAULT_ACCOUNTS,
    AccountProfile,
    load_profiles,
)
from crm_backtest.bench_cli import bench_command
from crm_backtest.chaos import PATIENCE_S, PIECES, is_piece, run_chaos
from crm_backtest.chaos_stack import LocalStack, StackError
from crm_backtest.client import Credentials
from crm_backtest.clock import parse
from crm_backtest.generator import generate
from crm_backtest.history import History
from crm_backtest.run import run_backtest

ACCOUNTS_DEFAULT = ",".join(BACKTEST_ACCOUNT_IDS)
app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console()
app.command("bench")(bench_command)

# The folder `make up` used: $CRM_STATE_DIR when set, as for the devstack itself.
StateDir = Annotated[
    Path,
    typer.Option(
        envvar="CRM_STATE_DIR",
        help="The devstack's state folder (secrets.json, accounts.json)",
    ),
]
Contacts = Annotated[int, typer.Option(min=1, help="How many contacts to generate")]
Seed = Annotated[int, typer.Option(help="Same seed and anchor, same history")]
Accounts = Annotated[
    str, typer.Option(help="Comma-separated account ids, read from the accounts file")
]
Kundekort = Annotated[
    bool,
    typer.Option(
        help="Add the card stories (identity corrections, imports, contact data in later "
        "events) and check each card's contact data, consent and last activity"
    ),
]


def _profiles(state_dir: Path, accounts: str) -> list[AccountProfile]:
    wanted = [a.strip() for a in accounts.split(",") if a.strip()]
    path = state_dir / "accounts.json"
    found = load_profiles(path, wanted) if path.exists() else list(DEFAULT_ACCOUNTS)
    chosen = [p for p in found if p.account_id in wanted]
    if not chosen:
        raise typer.BadParameter(f"none of {wanted} in {path}", param_hint="--accounts")
    return chosen


def _anchor(value: str | None) -> datetime:
    """The history ends here; by default the current minute, so every event is in the past."""
    if value:
        return parse(value)
    return datetime.now(UTC).replace(second=0, microsecond=0)


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="Where to write the history (JSON)")],
    contacts: Contacts = 1000,
    seed: Seed = 7,
    anchor: Annotated[str | None, typer.Option(help="ISO 8601 end of the history")] = None,
    state_dir: StateDir = Path(".local"),
    accounts: Accounts = ACCOUNTS_DEFAULT,
    kundekort: Kundekort = False,
) -> None:
    """Write a seeded synthetic history (contacts, facts, deliveries) as JSON."""
    profiles = _profiles(state_dir, accounts)
    history = generate(contacts, seed, _anchor(anchor), profiles, kundekort=kundekort)
    history.save(out)
    console.print(
        f"{len(history.contacts)} contacts, {len(history.facts)} facts, "
        f"{len(history.deliveries)} deliveries → {out}"
    )


@app.command("run")
def run_command(
    contacts: Contacts = 1000,
    seed: Seed = 7,
    rate: Annotated[float, typer.Option(min=1, help="Events per second sent")] = 500,
    api: Annotated[str, typer.Option(help="The gateway's /api")] = "http://127.0.0.1:8000/api",
    report: Annotated[Path | None, typer.Option(help="Write the report as JSON here")] = None,
    history_file: Annotated[
        Path | None, typer.Option("--history", help="Replay this history instead")
    ] = None,
    catch_up: Annotated[
        float, typer.Option(help="Seconds the system may take to catch up after the replay")
    ] = 120.0,
    state_dir: StateDir = Path(".local"),
    accounts: Accounts = ACCOUNTS_DEFAULT,
    fast_client: Annotated[
        bool, typer.Option(help="Send with aiohttp (~5x faster); --no-fast-client: httpx")
    ] = True,
    settings_accounts: Annotated[
        int,
        typer.Option(
            min=0,
            help="Accounts of the run's own (added to the accounts file for it) that change "
            "their automation settings mid-history",
        ),
    ] = 0,
    kundekort: Kundekort = False,
) -> None:
    """Generate (or load), replay through the gateway, compare with the oracle, report."""
    if history_file is not None:
        history = History.load(history_file)
    else:
        profiles = _profiles(state_dir, accounts)
        history = generate(
            contacts, seed, _anchor(None), profiles, settings_accounts=settings_accounts,
            kundekort=kundekort,
        )  # fmt: skip
    credentials = Credentials.from_state_dir(state_dir)
    result = asyncio.run(
        run_backtest(
            history,
            api,
            credentials,
            rate,
            catch_up,
            console,
            fast_client=fast_client,
            accounts_file=state_dir / "accounts.json",
        )
    )
    result.print(console)
    if report is not None:
        result.write(report)
        console.print(f"report → {report}")
    raise typer.Exit(0 if result.ok else 1)


@app.command("chaos")
def chaos_command(
    contacts: Contacts = 500,
    seed: Seed = 7,
    rate: Annotated[float, typer.Option(min=1, help="Events per second sent")] = 10,
    api: Annotated[str, typer.Option(help="The gateway's /api")] = "http://127.0.0.1:8000/api",
    report: Annotated[Path | None, typer.Option(help="Write the report as JSON here")] = None,
    catch_up: Annotated[
        float, typer.Option(help="Seconds the system may take to catch up after the replay")
    ] = 300.0,
    pieces: Annotated[
        str,
        typer.Option(
            help="Comma-separated pieces to kill, in this order; a service's further replica "
            "(customers-2) too, when the system runs several (make up REPLICAS=...)"
        ),
    ] = ",".join(PIECES),
    patience: Annotated[
        float, typer.Option(help="Seconds the client retries one request through an outage")
    ] = PATIENCE_S,
    state_dir: StateDir = Path(".local"),
    accounts: Accounts = ACCOUNTS_DEFAULT,
) -> None:
    """A backtest while each piece in turn is killed (SIGKILL) mid-replay and restarted as
    `make up` does; zero mismatches, no 500, no dead letter, and each piece's recovery time.
    Starts the system when it is down (`crm-devstack system up`) and leaves it running."""
    chosen = [piece.strip() for piece in pieces.split(",") if piece.strip()]
    unknown = sorted(piece for piece in set(chosen) if not is_piece(piece))
    if unknown or not chosen:
        raise typer.BadParameter(
            f"unknown {unknown}; known: {','.join(PIECES)} and replicas such as customers-2",
            param_hint="--pieces",
        )
    stack = LocalStack(state_dir.resolve())
    try:
        asyncio.run(stack.system_up())  # the accounts file and secrets exist from here on
    except StackError as error:
        console.print(f"[red]the system did not come up:[/red] {error}")
        raise typer.Exit(1) from error
    history = generate(contacts, seed, _anchor(None), _profiles(state_dir, accounts))
    credentials = Credentials.from_state_dir(state_dir)
    result = asyncio.run(
        run_chaos(history, api, credentials, stack, rate, catch_up, console, chosen, patience)
    )
    result.print(console)
    if report is not None:
        result.write(report)
        console.print(f"report → {report}")
    raise typer.Exit(0 if result.ok else 1)


if __name__ == "__main__":
    app()
