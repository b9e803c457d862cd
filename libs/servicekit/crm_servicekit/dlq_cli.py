"""`crm dlq list` and `crm dlq replay`: look at dead letters and send them back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crm_schemas.topics import DLQ_TOPIC
from crm_servicekit.dlq_tool import read_letters, replay, select

dlq_app = typer.Typer(help="Dead letters of crm.events.v1: list and replay.", no_args_is_help=True)
console = Console()

Bootstrap = Annotated[
    str,
    typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers"),
]


@dlq_app.command("list")
def list_letters(
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Annotated[str, typer.Option(help="dead-letter topic")] = DLQ_TOPIC,
) -> None:
    """Every dead letter with its event, source position, consumer group and reason."""
    letters = asyncio.run(read_letters(bootstrap, topic))
    table = Table("event_id", "event_name", "source", "group", "kind", "reason")
    for letter in letters:
        table.add_row(
            letter.event_id or "-",
            letter.delivery.event_name or "-",
            letter.source,
            letter.consumer_group,
            letter.kind,
            letter.reason.strip().splitlines()[-1] if letter.reason.strip() else "",
        )
    console.print(table)
    console.print(f"{len(letters)} dead letter(s)")


@dlq_app.command("replay")
def replay_letters(
    event_id: Annotated[list[str] | None, typer.Option(help="replay only these event ids")] = None,
    all_letters: Annotated[bool, typer.Option("--all", help="replay every letter")] = False,
    value_file: Annotated[
        Path | None, typer.Option(help="a corrected JSON body for the one --event-id given")
    ] = None,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Annotated[str, typer.Option(help="dead-letter topic")] = DLQ_TOPIC,
) -> None:
    """Publish dead letters back onto their source topic (consumers de-duplicate by id)."""
    if not all_letters and not event_id:
        raise typer.BadParameter("give --event-id (one or more) or --all")
    letters = select(asyncio.run(read_letters(bootstrap, topic)), set(event_id or []) or None)
    missing = set(event_id or []) - {letter.event_id for letter in letters}
    if missing:
        console.print(f"[red]no dead letter for: {', '.join(sorted(missing))}[/red]")
        raise typer.Exit(1)
    fixed = value_file.read_bytes() if value_file else None
    count = asyncio.run(replay(bootstrap, letters, fixed_value=fixed))
    console.print(f"replayed {count} letter(s) onto their source topic")
