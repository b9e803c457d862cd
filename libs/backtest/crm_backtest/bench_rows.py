"""The rows of `make bench`'s one table, read from the JSON each benchmark and backtest wrote,
each with the target the issues set on this 2-core machine and whether it was met."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

# Targets from the issues (ingest #4, nba #7, stats #8, backtest #9).
INGEST_SINGLE_MIN = 3_000.0
INGEST_PACED_P99_MS = 50.0
INGEST_BATCH_MIN = 30_000.0
NBA_P99_MS = 50.0
KPI_P99_MS = 50.0
KPI_TARGET_EVENTS = 1_000_000
BACKTEST_SECONDS = {1_000: 30.0, 10_000: 120.0}
PROCESSED_MIN = 3_500.0
REMINDER_P99_MS = 250.0
REMINDER_RATE = 500.0
REACHED = 0.9  # a rate counts as held when the replay reached 90% of it

Figures = dict[str, Any]


@dataclass(frozen=True)
class Row:
    part: str
    metric: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target here, or nothing measured

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _rate(value: float) -> str:
    return f"{value:,.0f} events/s"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def consumer_rows(data: Figures) -> list[Row]:
    return [
        Row("consumer", f"runtime, {row['handler']} ({row['events']:,} events)",
            _rate(row["events_per_s"]))
        for row in data["rows"]
    ]  # fmt: skip


def floor_rows(data: Figures) -> list[Row]:
    return [
        Row("http floor", f"POST answered 202 doing nothing, {name}: requests/s, p50 / p99",
            f"{p['requests_per_s']:,.0f} requests/s, {_ms(p['p50_ms'])} / {_ms(p['p99_ms'])}")
        for name, p in data["phases"].items()
    ]  # fmt: skip


def ingest_rows(data: Figures) -> list[Row]:
    phases = data["phases"]
    singles = [p for p in phases if p["name"].startswith("single, concurrency")]
    rows = [
        Row("ingest", f"{p['name']}: events/s, p50 / p99",
            f"{_rate(p['events_per_s'])}, {_ms(p['p50_ms'])} / {_ms(p['p99_ms'])}")
        for p in singles
    ]  # fmt: skip
    if "replicas" in data:  # figures written before replicas existed ran one process
        rows.insert(
            0, Row("ingest", "replicas (processes sharing the port)", str(data["replicas"]))
        )
    best = max((p["events_per_s"] for p in singles), default=None)
    if best is not None:
        rows.append(
            Row("ingest", "single events, best concurrency", _rate(best),
                f"≥ {INGEST_SINGLE_MIN:,.0f} events/s", best >= INGEST_SINGLE_MIN)
        )  # fmt: skip
    for p in phases:
        if p["name"].startswith("single, paced"):
            rows.append(
                Row("ingest", f"{p['name']} (half the best): p99", _ms(p["p99_ms"]),
                    f"< {INGEST_PACED_P99_MS:.0f} ms", p["p99_ms"] < INGEST_PACED_P99_MS)
            )  # fmt: skip
        elif p["name"].startswith("batch"):
            rows.append(
                Row("ingest", p["name"], _rate(p["events_per_s"]),
                    f"≥ {INGEST_BATCH_MIN:,.0f} events/s", p["events_per_s"] >= INGEST_BATCH_MIN)
            )  # fmt: skip
    return rows + meta_delivery_rows(phases, best)


def meta_delivery_rows(phases: list[Figures], best_single: float | None) -> list[Row]:
    """Signed Meta deliveries of many messages each: deliveries/s and messages/s accepted, with
    the latency per delivery, and the best messages/s against the best single events/s."""
    deliveries = [p for p in phases if "deliveries_per_s" in p]
    rows = [
        Row("ingest", f"{p['name']}: deliveries/s, messages/s, p50 / p99 per delivery",
            f"{p['deliveries_per_s']:,.1f} deliveries/s, {p['messages_per_s']:,.0f} messages/s, "
            f"{_ms(p['p50_ms'])} / {_ms(p['p99_ms'])}")
        for p in deliveries
    ]  # fmt: skip
    if deliveries and best_single:
        best = max(p["messages_per_s"] for p in deliveries)
        rows.append(
            Row("ingest", "meta deliveries: best messages/s over best single events/s",
                f"{best / best_single:.2f}×")
        )  # fmt: skip
    return rows


def rules_rows(data: Figures) -> list[Row]:
    latency = data["latency"]
    return [
        Row("rules", f"events applied ({data['events']:,} events)", _rate(data["events_per_s"])),
        Row("rules", "Kafka ack → reminder readable, p50 / p99",
            f"{_ms(latency['p50_ms'])} / {_ms(latency['p99_ms'])}"),
    ]  # fmt: skip


def nba_rows(data: Figures) -> list[Row]:
    listed = data["list now"]
    return [
        Row("nba", f"NBA query GET /api/nba?limit=50, {data['customers']:,} customers: p99",
            _ms(listed["p99_ms"]), f"< {NBA_P99_MS:.0f} ms", listed["p99_ms"] < NBA_P99_MS),
        Row("nba", "recompute, each customer's history at once",
            _rate(data["recompute_events_per_s"])),
        Row(
            "nba",
            "recompute, events in time order",
            _rate(data["recompute_in_time_order_events_per_s"]),
        ),
    ]  # fmt: skip


def stats_rows(data: Figures) -> list[Row]:
    rows = []
    if "consumer" in data:
        rows += [
            Row("stats", "consumer through Kafka", _rate(data["consumer"]["events_per_s"])),
            Row("stats", "event → ticker item, p50 / p99",
                f"{_ms(data['ticker']['p50_ms'])} / {_ms(data['ticker']['p99_ms'])}"),
        ]  # fmt: skip
    for label, figures in data.get("customers_stats", {}).items():
        at_size = figures["events"] >= KPI_TARGET_EVENTS
        rows.append(
            Row("stats", f"KPI query GET /api/customers/stats ({label}), "
                f"{figures['events']:,} events: p99", _ms(figures["p99_ms"]),
                f"< {KPI_P99_MS:.0f} ms at {KPI_TARGET_EVENTS:,} events",
                figures["p99_ms"] < KPI_P99_MS if at_size else None)
        )  # fmt: skip
    return rows


def verified_seconds(report: Figures) -> float:
    """Replayed and verified: from the first send to the last check that matched."""
    return float(report["replay_seconds"]) + float(report["check_seconds"])


def backtest_rows(report: Figures) -> list[Row]:
    """A backtest run as fast as the system goes: its time, and events fully processed per s."""
    contacts, ok = int(report["contacts"]), bool(report["ok"])
    part = f"backtest {contacts:,}"
    seconds = verified_seconds(report)
    verdict = "zero mismatches" if ok else f"{report['mismatch_count']} mismatches"
    limit = BACKTEST_SECONDS.get(contacts)
    processed = report["deliveries"] / seconds if seconds else 0.0
    return [
        Row(part, f"replayed + verified ({report['deliveries']:,} deliveries)",
            f"{seconds:,.1f} s (replay {report['replay_seconds']:.1f} s + checks "
            f"{report['check_seconds']:.1f} s), {verdict}",
            f"< {limit:.0f} s, zero mismatches" if limit else "zero mismatches",
            ok and (limit is None or seconds < limit)),
        Row(part, f"ingest answered (replayer asked {report['rate']:,.0f} events/s)",
            _rate(report["throughput_events_per_s"])),
        Row(part, "fully processed (deliveries / replayed + verified)", _rate(processed),
            f"≥ {PROCESSED_MIN:,.0f} events/s", ok and processed >= PROCESSED_MIN),
    ]  # fmt: skip


def latency_rows(report: Figures) -> list[Row]:
    """End to end at a controlled rate: the rate asked, the rate reached, p50 / p99."""
    asked, reached = float(report["rate"]), float(report["throughput_events_per_s"])
    part = f"end to end at {asked:,.0f} events/s"
    reminder = report["latency"]["accepted → reminder readable"]
    kpi = report["latency"]["accepted → KPI updated"]
    held = reached >= REACHED * asked
    at_target_rate = asked >= REMINDER_RATE
    met = reminder["p99_ms"] is not None and reminder["p99_ms"] < REMINDER_P99_MS and held
    return [
        Row(part, f"replay rate reached ({report['contacts']:,} contacts)", _rate(reached),
            f"≥ {REACHED:.0%} of {asked:,.0f} events/s", held),
        Row(part, f"accepted → reminder readable, p50 / p99 (n={reminder['samples']})",
            f"{_ms(reminder['p50_ms'])} / {_ms(reminder['p99_ms'])}",
            f"p99 < {REMINDER_P99_MS:.0f} ms at {REMINDER_RATE:.0f} events/s",
            met if at_target_rate else None),
        Row(part, f"accepted → KPI updated, p50 / p99 (n={kpi['samples']})",
            f"{_ms(kpi['p50_ms'])} / {_ms(kpi['p99_ms'])}"),
    ]  # fmt: skip


def system_cpu_rows(data: Figures) -> list[Row]:
    """CPU of every process of the running system per event fully processed (single webhooks
    by concurrency, and the backtest's deliveries), and that rate as a share of the HTTP floor
    measured beside it."""
    rows = []
    for p in data["phases"]:
        unit, units = ("delivery", "deliveries") if "deliveries" in p else ("event", "events")
        groups = " · ".join(f"{k} {v:,.1f}" for k, v in p["cpu_ms_per_event_by_group"].items())
        accepted = f" (accepted {_rate(p['events_per_s'])})" if "events_per_s" in p else ""
        caveats = [] if p["drained"] else ["backlog NOT drained"]
        if p.get("refused"):
            caveats.append(f"{p['refused']:,} refused")
        if "ok" in p and not p["ok"]:
            caveats.append(f"{p['mismatch_count']} mismatches")
        share = "—" if p["floor_share"] is None else f"{p['floor_share']:.1%}"
        rows += [
            Row("system cpu", f"{p['name']}: CPU per {unit}, all processes (by process)",
                f"{_ms(p['cpu_ms_per_event'])} ({groups})"),
            Row("system cpu", f"{p['name']}: fully processed, share of the HTTP floor",
                f"{p['processed_per_s']:,.1f} {units}/s{accepted}, {share} of "
                f"{p['floor_requests_per_s']:,.0f} requests/s"
                + (f" ({', '.join(caveats)})" if caveats else "")),
        ]  # fmt: skip
        if "messages_per_event" in p:  # results from before it was counted lack it
            rows.append(Row("system cpu", f"{p['name']}: messages on crm.events.v1 per {unit}",
                            f"{p['messages_per_event']:,.2f}"))  # fmt: skip
    return rows


BUILDERS: dict[str, Callable[[Figures], list[Row]]] = {
    "consumer": consumer_rows,
    "floor": floor_rows,
    "ingest": ingest_rows,
    "rules": rules_rows,
    "nba": nba_rows,
    "stats": stats_rows,
    "cpu": system_cpu_rows,
    "backtest": backtest_rows,
    "latency": latency_rows,
    "steady": latency_rows,
}


def kind_of(step: str) -> str:
    """A step is named by its kind, with the size after a space: `backtest 10000`."""
    return step.split(" ", 1)[0]


def build_rows(results: dict[str, Figures | str]) -> list[Row]:
    """Rows in the order the steps ran; a step that failed (its result is the reason as text)
    gets one row saying so."""
    rows: list[Row] = []
    for step, result in results.items():
        if isinstance(result, str):
            kind, _, size = step.partition(" ")
            part = f"{kind} {int(size):,}" if size.isdigit() else step
            rows.append(Row(part, "not measured", result, met=False))
        else:
            rows.extend(BUILDERS[kind_of(step)](result))
    return rows
