"""`crm dlq list|replay|resolve`: look at dead letters, send them back, mark them dealt with."""

from __future__ import annotations

import asyncio
import getpass
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from crm_schemas import topics as t
from crm_schemas.normal_form import unmarked
from crm_servicekit.clock import SystemClock
from crm_servicekit.dlq_resolutions import Resolution, mark, read_resolutions, resolutions_topic
from crm_servicekit.dlq_tool import LetterFilter, StoredLetter, read_letters, replay, select
from crm_servicekit.durations import parse_since

dlq_app = typer.Typer(
    help="Dead letters of crm.events.v1: list, replay, resolve.", no_args_is_help=True
)
console = Console()

Bootstrap = Annotated[
    str,
    typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers"),
]
Topic = Annotated[str, typer.Option(help="dead-letter topic")]
ResolvedTopic = Annotated[
    str | None,
    typer.Option(help="the topic of the resolution marks (default: the DLQ topic's + .resolved)"),
]
Group = Annotated[
    str | None, typer.Option(help="only letters this consumer group (service) dead-lettered")
]
Since = Annotated[
    str | None,
    typer.Option(help="only letters dead-lettered since: an ISO 8601 instant or a duration (2h)"),
]
By = Annotated[
    str | None, typer.Option(help="who deals with them, kept with the mark (default: $USER)")
]
EventIds = Annotated[list[str] | None, typer.Option("--event-id", help="only these event ids")]


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's user may have no name
        return "unknown"


def _filter(
    group: str | None, since: str | None, event_ids: list[str] | None = None
) -> LetterFilter:
    return LetterFilter(
        group=group,
        since=parse_since(since, SystemClock().now()) if since else None,
        event_ids=frozenset(event_ids) if event_ids else None,
    )


def _marks_topic(topic: str, resolved_topic: str | None) -> str:
    return resolved_topic or resolutions_topic(topic)


async def _letters_and_marks(
    bootstrap: str, topic: str, resolved_topic: str | None
) -> tuple[list[StoredLetter], dict[str, Resolution]]:
    letters = await read_letters(bootstrap, topic)
    marks = await read_resolutions(bootstrap, _marks_topic(topic, resolved_topic))
    return letters, marks


def _mark_now(
    letters: list[StoredLetter],
    resolution: str,
    *,
    by: str | None,
    note: str = "",
    bootstrap: str,
    topic: str,
    resolved_topic: str | None,
) -> int:
    """Mark the letters dealt with, now, by the one running the command; how many were marked."""
    return asyncio.run(
        mark(
            bootstrap,
            _marks_topic(topic, resolved_topic),
            letters,
            resolution=resolution,
            at=SystemClock().now(),
            by=_who(by),
            note=note,
            dlq_topic=topic,
        )
    )


def letter_json(letter: StoredLetter, resolution: Resolution | None) -> dict[str, Any]:
    """One letter as `crm dlq list --json` writes it (one object a line)."""
    h = letter.delivery.decoded_headers
    key = letter.delivery.key
    return {
        "letter_id": letter.letter_id,
        "event_id": letter.event_id,
        "event_name": letter.delivery.event_name,
        "account_id": letter.delivery.account_id,
        "consumer_group": letter.consumer_group,
        "kind": letter.kind,
        "error": letter.reason,
        "attempts": int(h[t.DLQ_HEADER_ATTEMPTS]) if h.get(t.DLQ_HEADER_ATTEMPTS) else None,
        "source": {
            "topic": h.get(t.DLQ_HEADER_SOURCE_TOPIC),
            "partition": int(h.get(t.DLQ_HEADER_SOURCE_PARTITION, "-1")),
            "offset": int(h.get(t.DLQ_HEADER_SOURCE_OFFSET, "-1")),
        },
        "dead_lettered_at": letter.at.isoformat().replace("+00:00", "Z"),
        "resolved": asdict(resolution) if resolution else None,
        "key": key.decode("utf-8", errors="replace") if key is not None else None,
        "value": letter.delivery.value.decode("utf-8", errors="replace"),
    }


@dlq_app.command("list")
def list_letters(
    group: Group = None,
    since: Since = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per letter, a line each")
    ] = False,
    open_only: Annotated[bool, typer.Option("--open", help="only letters not resolved")] = False,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Topic = t.DLQ_TOPIC,
    resolved_topic: ResolvedTopic = None,
) -> None:
    """Dead letters with their id, event, source position, consumer group, reason and state."""
    chosen = _filter(group, since)
    letters, marks = asyncio.run(_letters_and_marks(bootstrap, topic, resolved_topic))
    shown = [
        letter
        for letter in letters
        if chosen.matches(letter) and not (open_only and letter.letter_id in marks)
    ]
    if as_json:
        for letter in shown:
            typer.echo(json.dumps(letter_json(letter, marks.get(letter.letter_id))))
        return
    table = Table("letter", "at", "event_id", "event_name", "source", "group", "kind", "reason")
    table.add_column("state")
    for letter in shown:
        mark_of = marks.get(letter.letter_id)
        table.add_row(
            letter.letter_id,
            letter.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            letter.event_id or "-",
            letter.delivery.event_name or "-",
            letter.source,
            letter.consumer_group,
            letter.kind,
            letter.reason.strip().splitlines()[-1] if letter.reason.strip() else "",
            mark_of.resolution if mark_of else "open",
        )
    console.print(table)
    console.print(f"{len(shown)} dead letter(s)")


@dlq_app.command("replay")
def replay_letters(
    event_id: EventIds = None,
    all_letters: Annotated[
        bool, typer.Option("--all", help="replay every letter not resolved yet")
    ] = False,
    group: Group = None,
    since: Since = None,
    value_file: Annotated[
        Path | None, typer.Option(help="a corrected JSON body for the one --event-id given")
    ] = None,
    by: By = None,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Topic = t.DLQ_TOPIC,
    resolved_topic: ResolvedTopic = None,
) -> None:
    """Publish dead letters back onto their source topic (consumers de-duplicate by id) and
    mark them `replayed`. `--all` skips resolved letters; a letter named by --event-id is
    replayed whatever its mark. One that fails again comes back as a new letter."""
    if not all_letters and not event_id:
        raise typer.BadParameter("give --event-id (one or more) or --all")
    letters, marks = asyncio.run(_letters_and_marks(bootstrap, topic, resolved_topic))
    chosen = _filter(group, since, event_id)
    candidates = [
        letter
        for letter in letters
        if chosen.matches(letter) and (event_id or letter.letter_id not in marks)
    ]
    picked = select(candidates, set(event_id or []) or None)
    missing = set(event_id or []) - {letter.event_id for letter in picked}
    if missing:
        console.print(f"[red]no dead letter for: {', '.join(sorted(missing))}[/red]")
        raise typer.Exit(1)
    # Written by hand: its consumers normalize its properties again (crm_schemas.normal_form).
    fixed = unmarked(value_file.read_bytes()) if value_file else None
    count = asyncio.run(replay(bootstrap, picked, fixed_value=fixed))
    # Every letter of a replayed event is dealt with, not only the one whose body was sent.
    sent = {letter.event_id or letter.letter_id for letter in picked}
    dealt = [c for c in candidates if (c.event_id or c.letter_id) in sent]
    _mark_now(
        dealt, "replayed", by=by, bootstrap=bootstrap, topic=topic, resolved_topic=resolved_topic
    )
    console.print(f"replayed {count} letter(s) onto their source topic")


@dlq_app.command("resolve")
def resolve_letters(
    letter_ids: Annotated[
        list[str] | None, typer.Argument(help="letter ids as `crm dlq list` shows them (3:17)")
    ] = None,
    all_letters: Annotated[
        bool, typer.Option("--all", help="every open letter the filters match")
    ] = False,
    event_id: EventIds = None,
    group: Group = None,
    since: Since = None,
    note: Annotated[str, typer.Option(help="why: fixed by hand, not needed, ...")] = "",
    by: By = None,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Topic = t.DLQ_TOPIC,
    resolved_topic: ResolvedTopic = None,
) -> None:
    """Mark letters dealt with, so that `replay --all` does not send them again (the letters
    stay on the DLQ topic; `list --open` hides them)."""
    if not letter_ids and not all_letters and not event_id:
        raise typer.BadParameter("give letter ids, --event-id or --all")
    letters, marks = asyncio.run(_letters_and_marks(bootstrap, topic, resolved_topic))
    chosen = _filter(group, since, event_id)
    wanted = set(letter_ids or [])
    picked = [
        letter
        for letter in letters
        if chosen.matches(letter)
        and (not wanted or letter.letter_id in wanted)
        and letter.letter_id not in marks
    ]
    unknown = wanted - {letter.letter_id for letter in letters}
    if unknown:
        console.print(f"[red]no dead letter with id: {', '.join(sorted(unknown))}[/red]")
        raise typer.Exit(1)
    count = _mark_now(
        picked,
        "resolved",
        by=by,
        note=note,
        bootstrap=bootstrap,
        topic=topic,
        resolved_topic=resolved_topic,
    )
    console.print(f"resolved {count} letter(s)")
