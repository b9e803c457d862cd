"""crm-devstack system up|down|stop|status: the five services and the gateway on top of the
servers."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.console import Console

from crm_devstack.processes import DevstackError
from crm_devstack.replicas import MAX_REPLICAS, parse_replicas
from crm_devstack.settings import StackConfig
from crm_devstack.system_stack import (
    bring_down_system,
    bring_up_system,
    stop_service,
    system_states,
)

system_app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console(highlight=False)


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


Replicas = Annotated[
    list[str] | None,
    typer.Option(
        "--replicas",
        help='Processes per service, e.g. "customers=2 rules=2" (1 to '
        f"{MAX_REPLICAS}; kept until `system down`; a service not named keeps its count, "
        "one at first). Repeatable.",
    ),
]


@system_app.command("up")
def up(replicas: Replicas = None) -> None:
    """Start Kafka, PostgreSQL, Redis, the five services and the gateway; wait until ready."""
    config = StackConfig.from_env()
    began = time.monotonic()
    try:
        counts = parse_replicas(replicas or [])
        info = asyncio.run(bring_up_system(config, _say, counts))
    except (DevstackError, ValueError) as error:
        console.print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(code=1) from error
    console.print(f"system ready in {time.monotonic() - began:.1f}s; logs in {config.logs_dir}")
    # Plain echo for the values people copy: rich would wrap the long token.
    typer.echo(f"console:        {info.console}")
    typer.echo(f"API:            {info.api}")
    typer.echo(f"account:        {info.account}")
    typer.echo(f"token:          {info.token}")
    typer.echo(f"webhook secret: {info.webhook_secret}")
    typer.echo(
        f"in a shell:     source {info.demo_env}   (sets CRM_CONSOLE, CRM_API, TOKEN,"
        " WEBHOOK_SECRET and the providers' secrets for `crm webhook meta|calendly|calcom`)"
    )
    typer.echo('then:           curl -H "Authorization: Bearer $TOKEN" "$CRM_API/nba"')
    typer.echo("more tokens:    uv run crm token --account demo   (--role admin for an admin's)")
    typer.echo(
        f"your accounts:  uv run crm accounts add <id>   (kept in {config.state_dir}/accounts.json)"
    )
    typer.echo("stop with:      make down")


@system_app.command("down")
def down() -> None:
    """Stop the gateway and every replica of the services (`crm-devstack down` stops the
    servers); the next `system up` runs one replica each."""
    for name, outcome in asyncio.run(bring_down_system(StackConfig.from_env())).items():
        console.print(f"{name:12} {outcome}")


@system_app.command("stop")
def stop(
    service: Annotated[str, typer.Argument(help="ingest, customers, rules, nba or stats")],
) -> None:
    """Stop every replica of one service and leave the rest running (`system up` starts it
    again): for `crm rebuild --service S`, which needs the service stopped."""
    try:
        outcome = asyncio.run(stop_service(StackConfig.from_env(), service))
    except ValueError as error:
        console.print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(code=1) from error
    for name, state in outcome.items():
        console.print(f"{name:12} {state}")


@system_app.command("status")
def status() -> None:
    """Each replica of each service, then the gateway: running, ready, pid, address, log."""
    for state in asyncio.run(system_states(StackConfig.from_env())):
        running = "running" if state.pid else "stopped"
        ready = "ready" if state.answering else "not answering"
        pid = f"pid {state.pid}" if state.pid else "-"
        console.print(
            f"{state.name:12} {running:8} {ready:14} {pid:10} {state.address}  {state.log_file}"
        )
