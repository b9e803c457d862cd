"""crm-devstack: start, stop and inspect the local Kafka, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crm_devstack.concordance.cli import app as concordance_app
from crm_devstack.processes import DevstackError, crash_process
from crm_devstack.settings import ENV_STATE_DIR, StackConfig
from crm_devstack.stack import SERVER_NAMES, bring_down, bring_up, install, servers, states
from crm_devstack.system_cli import system_app
from crm_devstack.system_stack import known_pieces

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
app.add_typer(concordance_app, name="concordance")
app.add_typer(system_app, name="system")
console = Console(highlight=False)

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar=ENV_STATE_DIR,
        help="Folder holding the servers' data, logs and pid files [default: <repo>/.local]",
    ),
]
Only = Annotated[
    list[str] | None,
    typer.Option("--only", help=f"Limit to these servers ({', '.join(SERVER_NAMES)})"),
]


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/bold red] {error}")
    return typer.Exit(code=1)


def _print_env(config: StackConfig) -> None:
    # Plain echo, not rich: these lines must never be wrapped or styled (they get eval'd).
    for name, value in config.endpoints.as_env().items():
        typer.echo(f"export {name}={value}")


@app.command()
def up(state_dir: StateDir = None, only: Only = None) -> None:
    """Start the servers that are not running, wait until each answers, print addresses."""
    config = StackConfig.from_env(state_dir)
    began = time.monotonic()
    try:
        started = asyncio.run(bring_up(config, only, say=_say))
    except (DevstackError, ValueError) as error:
        raise _fail(error) from error
    for name, was_started in started.items():
        console.print(f"{name:9} {'started' if was_started else 'already running'}")
    console.print(f"ready in {time.monotonic() - began:.1f}s; state in {config.state_dir}")
    _print_env(config)
    console.print("stop with: make down   (or: uv run crm-devstack down)")


@app.command()
def down(state_dir: StateDir = None, only: Only = None) -> None:
    """Stop the servers cleanly; their data is kept for the next `up`."""
    config = StackConfig.from_env(state_dir)
    try:
        stopped = asyncio.run(bring_down(config, only))
    except ValueError as error:
        raise _fail(error) from error
    for name, outcome in stopped.items():
        console.print(f"{name:9} {outcome}")


@app.command()
def status(
    state_dir: StateDir = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the exit code")] = False,
) -> None:
    """Show each server's pid, address and log; exit code 0 only when all answer."""
    config = StackConfig.from_env(state_dir)
    found = asyncio.run(states(config))
    if not quiet:
        # Plain lines rather than a table: addresses and paths must never be cut or wrapped.
        for server in found:
            state = "running" if server.answering else "not answering" if server.pid else "stopped"
            pid = f"pid {server.pid}" if server.pid else "-"
            typer.echo(
                f"{server.name:9} {state:13} {pid:10} {server.address}  log {server.log_file}"
            )
    if not all(server.answering for server in found):
        raise typer.Exit(code=1)


@app.command("install")
def install_command(state_dir: StateDir = None, only: Only = None) -> None:
    """Install only the missing pieces: Debian packages and the Kafka jars."""
    config = StackConfig.from_env(state_dir)
    try:
        install(config, only, say=_say)
    except (DevstackError, ValueError) as error:
        raise _fail(error) from error
    console.print("all pieces present")


@app.command()
def env(state_dir: StateDir = None) -> None:
    """Print the addresses as shell exports: eval "$(uv run crm-devstack env)"."""
    _print_env(StackConfig.from_env(state_dir))


@app.command()
def kill(
    name: Annotated[
        str,
        typer.Argument(
            help="kafka, postgres, redis, gateway, a service (its first replica) or a "
            "replica (customers-2)"
        ),
    ],
    state_dir: StateDir = None,
) -> None:
    """Crash one piece: SIGKILL it and all its processes, with no chance to clean up (the chaos
    suite's outage; `up` and `system up` start it again, a replica as its own name)."""
    config = StackConfig.from_env(state_dir)
    known = [*servers(config), *known_pieces(config)]
    pieces = {piece.instance_name: piece for piece in known}
    if name not in pieces:
        raise _fail(ValueError(f"unknown piece {name!r}; known: {', '.join(pieces)}"))
    process = pieces[name].running()
    if process is None:
        raise _fail(DevstackError(f"{name} is not running (pid file in {config.run_dir})"))
    try:
        pids = crash_process(process)
    except DevstackError as error:
        raise _fail(error) from error
    pieces[name].running()  # drops the now stale pid file
    console.print(f"{name:9} killed: pids {' '.join(map(str, pids))}")
