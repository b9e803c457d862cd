"""One measured phase of the ingest benchmark, its figures (the JSON `make bench` reads) and
its printed line."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell our cost from the load's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    accepted: int  # events (for a provider delivery: its messages) accepted
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float = 0.0
    # Given by wrk, which keeps the latencies itself.
    percentiles_ms: tuple[float, float] | None = None
    # Provider deliveries answered 200, when each request carries many messages; the
    # latencies are then per delivery.
    deliveries: int | None = None

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms) or [0.0]
        p50, p99 = self.percentiles_ms or (
            statistics.median(ordered),
            ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        )
        figures: dict[str, Any] = {
            "name": self.name,
            "accepted": self.accepted,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self._per_s(self.accepted), 1),
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "cpu_ms_per_event": round(1000 * self.server_cpu_s / max(1, self.accepted), 2),
        }
        if self.deliveries is not None:
            figures["deliveries"] = self.deliveries
            figures["deliveries_per_s"] = round(self._per_s(self.deliveries), 2)
            figures["messages_per_s"] = figures["events_per_s"]
        return figures

    def _per_s(self, count: int) -> float:
        return count / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        figures = self.figures()
        rate, p50, p99 = figures["events_per_s"], figures["p50_ms"], figures["p99_ms"]
        cost = f"ingest CPU {figures['cpu_ms_per_event']:.2f} ms/event"
        if self.deliveries is not None:
            return (
                f"{self.name:<46} {figures['deliveries_per_s']:>7.1f} deliveries/s"
                f" {rate:>7.0f} messages/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
                f"   ({self.deliveries} deliveries, {self.accepted} messages accepted"
                f" in {self.seconds:.1f} s, {cost})"
            )
        return (
            f"{self.name:<34} {rate:>9.0f} events/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
            f"   ({self.accepted} accepted in {self.seconds:.1f} s, {cost})"
        )
