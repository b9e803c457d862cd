"""`crm rebuild --service S`: empty a stopped service's store and replay the topic into it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated

import typer
from aiokafka import TopicPartition
from rich.console import Console

from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.consumer_groups import GroupOffsets, Progress
from crm_servicekit.durations import parse_duration
from crm_servicekit.rebuild import (
    RebuildRefused,
    RebuildTarget,
    refusal_of,
    reset_store,
    wait_caught_up,
)
from crm_servicekit.settings import with_database_name

console = Console(highlight=False)


def rebuild(
    service: Annotated[str, typer.Option(help="customers, rules, nba or stats (not ingest).")],
    database_url: Annotated[
        str,
        typer.Option(
            envvar="DATABASE_URL",
            help="The PostgreSQL server's DSN; the service's own database is used on it.",
        ),
    ],
    database: Annotated[
        str | None, typer.Option(help="The service's database (default: the service's name).")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(help="The service's consumer group (default: the service's name)."),
    ] = None,
    bootstrap: Annotated[
        str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers.")
    ] = "127.0.0.1:19092",
    topic: Annotated[str, typer.Option(help="The events topic the service consumes.")] = (
        EVENTS_TOPIC
    ),
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before emptying.")] = False,
    wait: Annotated[
        bool, typer.Option(help="After the reset, wait and report until the service caught up.")
    ] = True,
    wait_only: Annotated[
        bool,
        typer.Option(
            "--wait-only",
            help="Change nothing: report until the group reaches the topic's ends now.",
        ),
    ] = False,
    timeout: Annotated[str, typer.Option(help="How long to wait: 2h, 30m, PT2H.")] = "6h",
) -> None:
    """Rebuild a STOPPED service's store from the topic: its consumer group goes back to the
    topic's beginning and its tables are emptied; start the service again and it replays
    everything. Refuses ingest, a running service (active group members, open database
    sessions) and unsent outbox rows, changing nothing."""
    if why := refusal_of(service):
        console.print(f"[bold red]refused:[/bold red] {why}")
        raise typer.Exit(code=2)
    limit = parse_duration(timeout).total_seconds()
    target = RebuildTarget(
        service=service,
        database_url=with_database_name(database_url, database or service),
        bootstrap=bootstrap,
        topic=topic,
        group=group or service,
    )
    if wait_only:
        asyncio.run(_wait(target, None, limit))
        return
    if not yes:
        typer.confirm(
            f"Empty every table of {service}'s database and move group {target.group!r} back "
            f"to the beginning of {topic}?",
            abort=True,
        )
    try:
        reset = asyncio.run(reset_store(target))
    except RebuildRefused as refused:
        console.print(f"[bold red]refused:[/bold red] {refused}")
        raise typer.Exit(code=1) from None
    total = sum(reset.ends.values())
    console.print(
        f"{service}: emptied {len(reset.tables)} table(s); group {target.group!r} is at the "
        f"beginning of {topic}, which held {total} message(s)."
    )
    console.print(f"Start {service} again now (locally: `uv run crm-devstack system up`).")
    if wait:
        asyncio.run(_wait(target, reset.ends, limit))


async def _wait(
    target: RebuildTarget, ends: Mapping[TopicPartition, int] | None, limit: float
) -> None:
    if ends is None:
        async with GroupOffsets(target.bootstrap, target.topic, target.group) as group:
            ends = dict(await group.ends())
    last: list[int] = []

    def show(progress: Progress) -> None:
        if not last or progress.done != last[-1]:
            total = progress.done + progress.remaining
            console.print(f"{target.service}: {progress.done} of {total} replayed")
            last.append(progress.done)

    try:
        await wait_caught_up(target, ends, timeout_s=limit, on_progress=show)
    except TimeoutError as error:
        console.print(f"[bold red]not caught up:[/bold red] {error}")
        raise typer.Exit(code=1) from None
    console.print(f"{target.service}: caught up with {target.topic}")
