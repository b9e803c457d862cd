"""The backtest's verdict: per check expected vs actual, every mismatch with its customer and
event ids, throughput and end-to-end latency; printed as a table and written as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

SHOWN_MISMATCHES = 15


@dataclass
class Mismatch:
    check: str
    subject: str  # a customer id, or "account/period" for figures
    expected: Any
    actual: Any
    contact: str | None = None
    event_ids: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    name: str
    checked: int = 0
    passed: int = 0
    skipped: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    def record(self, ok: bool, mismatch: Mismatch | None = None) -> None:
        self.checked += 1
        if ok:
            self.passed += 1
        elif mismatch is not None:
            self.mismatches.append(mismatch)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank, as the KPIs use it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)) - 1, 0)]


def latency_summary(values: list[float]) -> dict[str, Any]:
    return {
        "samples": len(values),
        "p50_ms": _ms(percentile(values, 0.5)),
        "p99_ms": _ms(percentile(values, 0.99)),
        "max_ms": _ms(max(values) if values else None),
    }


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 1) if seconds is not None else None


@dataclass
class Report:
    api: str
    seed: int
    contacts: int
    facts: int
    deliveries: int
    duplicates: int
    rate: float = 0.0  # the events per second asked of the replayer
    replay_seconds: float = 0.0
    check_seconds: float = 0.0
    retries: int = 0
    latency: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> int:
        return sum(len(check.mismatches) for check in self.checks)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and all(check.checked > 0 for check in self.checks)

    @property
    def events_per_second(self) -> float:
        return self.deliveries / self.replay_seconds if self.replay_seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["mismatch_count"] = self.mismatches
        data["throughput_events_per_s"] = round(self.events_per_second, 1)
        return data

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")

    def print(self, console: Console) -> None:
        summary = Table(title=f"Backtest: {self.contacts} contacts, seed {self.seed}")
        for column in ("check", "checked", "passed", "skipped", "mismatches"):
            summary.add_column(column, justify="left" if column == "check" else "right")
        for check in self.checks:
            style = "green" if not check.mismatches and check.checked else "red"
            summary.add_row(
                check.name, str(check.checked), str(check.passed), str(check.skipped),
                f"[{style}]{len(check.mismatches)}[/{style}]",
            )  # fmt: skip
        console.print(summary)
        figures = Table(title="Throughput and latency")
        figures.add_column("figure")
        figures.add_column("value", justify="right")
        figures.add_row(
            "facts / deliveries (duplicates)",
            f"{self.facts} / {self.deliveries} ({self.duplicates})",
        )
        figures.add_row(
            "replay (rate asked)",
            f"{self.replay_seconds:.1f} s, {self.events_per_second:.0f} ev/s ({self.rate:.0f})",
        )
        figures.add_row("retries (429/503)", str(self.retries))
        figures.add_row("checks", f"{self.check_seconds:.1f} s")
        for name, values in self.latency.items():
            figures.add_row(
                f"{name} p50 / p99 (n)",
                f"{values['p50_ms']} / {values['p99_ms']} ms ({values['samples']})",
            )
        console.print(figures)
        self._print_mismatches(console)
        if self.ok:
            console.print("[green]zero mismatches[/green]")
        else:
            console.print(f"[red]{self.mismatches} mismatches[/red]")
        for note in self.notes:
            console.print(f"note: {note}")

    def _print_mismatches(self, console: Console) -> None:
        shown = [m for check in self.checks for m in check.mismatches][:SHOWN_MISMATCHES]
        if not shown:
            return
        table = Table(title=f"First {len(shown)} mismatches (all in the JSON report)")
        for column in ("check", "subject", "contact", "expected", "actual"):
            table.add_column(column, overflow="fold")
        for m in shown:
            table.add_row(m.check, m.subject, m.contact or "", _short(m.expected), _short(m.actual))
        console.print(table)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 160 else text[:157] + "..."
