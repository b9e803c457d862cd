"""The capacity table (not a test): `uv run python -m bench.capacity FILE [--write]`.

FILE is either deploy/capacity.json or the result of
`uv run python -m bench.system_cpu --json PATH`, whose sustained-load figures it takes. It
prints, for 500, 3,500 and 35,000 events/s, the cores each process kind needs and the
replicas of each service, then the KEDA thresholds that follow (crm_devstack.capacity holds
the derivation, since crm_devstack.deploy_files writes those thresholds into deploy/k8s/).
With `--write` (from a system_cpu result) it also writes deploy/capacity.json and the table
in docs/capacity.md; then `uv run python -m crm_devstack.deploy_files` updates the manifests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from crm_devstack.capacity import (
    CAPACITY_FILE,
    CATCH_UP_SECONDS,
    CONSUMERS,
    MAX_CONSUMER_REPLICAS,
    SCALED_SERVICES,
    TARGET_UTILIZATION,
    CapacityFigures,
    Measurement,
    cores,
    cpu_target_millicores,
    events_per_s_per_replica,
    figures_json,
    lag_threshold,
    messages_per_s_per_replica,
    replicas_for,
)
from crm_devstack.deploy_scaling import manifest

RATES: Final = (500, 3_500, 35_000)

# The sustained-load figure is the concurrency-64 phase: with many requests in flight ingest
# accepts singles in groups and the consumers apply batches, as under steady high load;
# at concurrency 1 every event is a batch of its own and costs several times more CPU, a
# cost of being idle, not of load (docs/benchmarks.md, "System CPU per event").
SUSTAINED_PHASE: Final = "single, concurrency 64"

# A result from before bench.system_cpu counted the topic's messages gets the figure
# (an event and the announcements it causes), marked as not measured.
ASSUMED_MESSAGES_PER_EVENT: Final = 5.5

# Ingest's ScaledObject stops at this many replicas (its consumer group shares the cap),
# though replicas beyond it would still serve HTTP.
INGEST_MAX_REPLICAS: Final = MAX_CONSUMER_REPLICAS

DOCS_TABLE: Final = Path("docs") / "capacity.md"
TABLE_START: Final = "<!-- generated: `uv run python -m bench.capacity deploy/capacity.json` -->"
TABLE_END: Final = "<!-- end of the capacity table -->"


@dataclass(frozen=True)
class Sizing:
    """What one process kind needs at one rate."""

    process: str
    cores: float
    replicas: int | None  # None: a server not scaled as our replicas (PostgreSQL, Kafka, ...)
    needed: int | None  # replicas the cores call for, before any cap

    @property
    def capped(self) -> bool:
        return self.needed is not None and self.replicas != self.needed


def size(figures: CapacityFigures, events_per_s: float) -> list[Sizing]:
    """Cores per process kind, and replicas per service (consumers capped at the partitions:
    each partition is read by one member of a group, so more members would sit idle)."""
    sized = []
    for process, ms in figures.cpu_ms_per_event_by_process.items():
        needed_cores = cores(ms, events_per_s)
        if process not in SCALED_SERVICES:
            sized.append(Sizing(process, needed_cores, None, None))
            continue
        needed = replicas_for(needed_cores)
        replicas = min(needed, MAX_CONSUMER_REPLICAS) if process in CONSUMERS else needed
        sized.append(Sizing(process, needed_cores, replicas, needed))
    return sized


def figures_from_system_cpu(result: dict[str, Any]) -> CapacityFigures:
    """deploy/capacity.json's content from a bench.system_cpu result."""
    (phase,) = [p for p in result["phases"] if p["name"] == SUSTAINED_PHASE]
    measured = "messages_per_event" in phase
    notes = [] if phase["drained"] else ["the backlog had NOT drained when the window ended"]
    if phase.get("refused"):
        notes.append(f"{phase['refused']} requests were refused (429/503) in the phase")
    if not measured:
        notes.append(
            f"messages_per_event is not measured: {ASSUMED_MESSAGES_PER_EVENT:g} is the issue's "
            "figure"
        )
    return CapacityFigures(
        measurement=Measurement(
            command=result.get("command", "uv run python -m bench.system_cpu"),
            commit=result.get("commit", "unknown"),
            measured_at=result.get("measured_at", "unknown"),
            phase=SUSTAINED_PHASE,
            accepted_per_s=phase["events_per_s"],
            processed_per_s=phase["processed_per_s"],
            cpu_ms_per_event=phase["cpu_ms_per_event"],
        ),
        cpu_ms_per_event_by_process=phase["cpu_ms_per_event_by_group"],
        messages_per_event=phase["messages_per_event"] if measured else ASSUMED_MESSAGES_PER_EVENT,
        messages_per_event_measured=measured,
        notes=notes,
    )


def _cell(sizing: Sizing) -> str:
    text = f"{sizing.cores:,.1f}"
    if sizing.replicas is None:
        return text
    text += f" / {sizing.replicas:,}"
    if sizing.capped:
        return f"{text} ({sizing.needed:,} needed) ¹"
    if sizing.process == "ingest" and sizing.replicas > INGEST_MAX_REPLICAS:
        return f"{text} ²"
    return text


def sizing_table(figures: CapacityFigures) -> list[str]:
    by_rate = {rate: size(figures, rate) for rate in RATES}
    lines = [
        "| process | CPU ms per event | "
        + " | ".join(f"{rate:,} events/s: cores / replicas" for rate in RATES)
        + " |",
        "|---|---|" + "---|" * len(RATES),
    ]
    for row, process in enumerate(figures.cpu_ms_per_event_by_process):
        ms = figures.cpu_ms_per_event_by_process[process]
        cells = [_cell(by_rate[rate][row]) for rate in RATES]
        lines.append(f"| {process} | {ms:.2f} | " + " | ".join(cells) + " |")
    total_ms = sum(figures.cpu_ms_per_event_by_process.values())
    totals = [f"{sum(s.cores for s in by_rate[rate]):,.1f}" for rate in RATES]
    lines.append(f"| all | {total_ms:.2f} | " + " | ".join(totals) + " |")
    every = [sizing for sized in by_rate.values() for sizing in sized]
    if any(sizing.capped for sizing in every):
        lines.append("")
        lines.append(
            f"¹ Capped at the {MAX_CONSUMER_REPLICAS} partitions of crm.events.v1: a consumer "
            "group has at most one member per partition, so more partitions would be needed. "
            "The count is fixed up front (more would re-key customers and break their order), "
            "so going beyond it is a new topic with more partitions and a replay into it."
        )
    if any(s.process == "ingest" and (s.replicas or 0) > INGEST_MAX_REPLICAS for s in every):
        lines.append("")
        lines.append(
            f"² More than the maxReplicaCount ({INGEST_MAX_REPLICAS}) of {manifest('ingest')}: "
            "ingest's HTTP replicas are not bounded by partitions (extra ones only sit idle "
            "in its consumer group), so that bound would have to be raised."
        )
    return lines


def thresholds_table(figures: CapacityFigures) -> list[str]:
    per_event = figures.messages_per_event
    lines = [
        f"| service | events/s per replica at {TARGET_UTILIZATION:.0%} of a core | messages/s "
        f"per replica (× {per_event:g}) | lagThreshold ({CATCH_UP_SECONDS:g} s of messages) |",
        "|---|---|---|---|",
    ]
    for service in SCALED_SERVICES:
        events = events_per_s_per_replica(figures.ms_per_event(service))
        messages = messages_per_s_per_replica(figures, service)
        threshold = lag_threshold(figures, service)
        lines.append(f"| {service} | {events:,.0f} | {messages:,.0f} | {threshold:,} |")
    return lines


def markdown(figures: CapacityFigures) -> str:
    """The capacity table and the thresholds of docs/capacity.md, from the figures alone."""
    m = figures.measurement
    source = "measured" if figures.messages_per_event_measured else "NOT measured, assumed"
    lines = [
        f"From {CAPACITY_FILE}: `{m.command}` at {m.commit}, {m.measured_at}; phase "
        f'"{m.phase}": {m.accepted_per_s:,.0f} events/s accepted, {m.processed_per_s:,.1f}/s '
        f"fully processed, {m.cpu_ms_per_event:.2f} ms of CPU per event. Messages on "
        f"crm.events.v1 per accepted event: {figures.messages_per_event:g} ({source}).",
        "",
        f"Cores at {TARGET_UTILIZATION:.0%} utilization; replicas at one core each:",
        "",
        *sizing_table(figures),
        "",
        "KEDA thresholds (deploy/k8s/, written by `uv run python -m crm_devstack.deploy_files`); "
        f"ingest also scales on CPU at an average of {cpu_target_millicores()}m per replica:",
        "",
        *thresholds_table(figures),
    ]
    if figures.notes:
        lines += ["", *(f"- {note}" for note in figures.notes)]
    return "\n".join(lines) + "\n"


def with_table(document: str, table: str) -> str:
    """The document with the text between the table's markers replaced by the table."""
    head, found, rest = document.partition(TABLE_START + "\n")
    _, ended, tail = rest.partition(TABLE_END)
    if not (found and ended):
        raise ValueError(f"{DOCS_TABLE} lacks the markers {TABLE_START!r} ... {TABLE_END!r}")
    return f"{head}{TABLE_START}\n\n{table}\n{TABLE_END}{tail}"


def read_figures(path: Path) -> CapacityFigures:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("benchmark") == "system_cpu":
        return figures_from_system_cpu(data)
    return CapacityFigures.model_validate(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("file", type=Path, help="deploy/capacity.json or a system_cpu result")
    parser.add_argument(
        "--write", action="store_true", help="also write deploy/capacity.json and the docs table"
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="the checkout")
    args = parser.parse_args(argv)
    figures = read_figures(args.file)
    table = markdown(figures)
    print(table, end="")
    if args.write:
        (args.root / CAPACITY_FILE).write_text(figures_json(figures), encoding="utf-8")
        docs = args.root / DOCS_TABLE
        docs.write_text(with_table(docs.read_text(encoding="utf-8"), table), encoding="utf-8")
        print(f"wrote {CAPACITY_FILE} and {DOCS_TABLE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
