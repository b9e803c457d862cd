"""The chaos suite's verdict: the backtest's report, and per piece killed when it died, how long
the system took to recover and what the sender was answered meanwhile; printed as a table and
written as JSON.

Recovery, per piece, both from the moment its processes were gone (`crm-devstack kill` had
returned):
- ready: until `crm-devstack system up` returned, i.e. the piece was started again and every
  server, service and the gateway answered its readiness check (a service's /health/ready
  with its PostgreSQL, Kafka and Redis checks, PostgreSQL a query, Redis PING, Kafka its
  metadata, the gateway /gateway/health);
- accepting: until ingest first accepted (answered 2xx through the gateway) a request the
  replay sent after the kill, i.e. the system took events again. A piece ingest does not need
  leaves this at the replay's next send, unless the replay was held for the piece (`replay
  held`: it waited at the next piece's mark), when it is at least that.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from crm_backtest.client import RETRIED, Attempt
from crm_backtest.report import Report

NO_ANSWER = "no answer"
# The ingest endpoints the replay posts to (GET /events is the stats event log).
INGEST_POSTS = ("/events", "/hooks/")


def failed(status: int | None) -> bool:
    """A 5xx the client does not retry: the server failed the request (500 above all)."""
    return status is not None and status >= 500 and status not in RETRIED


def count_failed(answers: dict[str, int]) -> int:
    return sum(n for status, n in answers.items() if status.isdigit() and failed(int(status)))


def answered(attempts: list[Attempt]) -> dict[str, int]:
    """How often the sender got a 5xx or a 429, or no answer at all. Other 4xx are readings
    (a 404 while a consumer catches up), not outages."""
    seen = Counter(
        NO_ANSWER if a.status is None else str(a.status)
        for a in attempts
        if a.status is None or a.status >= 500 or a.status == 429
    )
    return dict(sorted(seen.items()))


@dataclass
class PieceRun:
    piece: str
    kill_sent_at: float | None = None  # perf_counter seconds: `crm-devstack kill` started
    killed_at: float | None = None  # its processes gone: `crm-devstack kill` returned
    ready_at: float | None = None
    accepting_at: float | None = None
    during_replay: bool = False
    system_up_runs: int = 0  # `crm-devstack system up` runs until the system was ready
    held_s: float = 0.0  # the replay waited this long at the next mark for the piece to be back
    error: str | None = None
    answers: dict[str, int] = field(default_factory=dict)  # until the next kill

    def observe(self, attempts: list[Attempt], until: float | None) -> None:
        """What the sender saw from this kill until the next one (or the end). The window opens
        when the kill command starts: the SIGKILL comes a moment before the command returns."""
        if self.kill_sent_at is None or self.killed_at is None:
            return
        end = float("inf") if until is None else until
        window = [a for a in attempts if self.kill_sent_at <= a.answered_at < end]
        self.answers = answered(window)
        accepted = [
            a.answered_at
            for a in attempts
            if a.method == "POST"
            and a.path.startswith(INGEST_POSTS)
            and a.sent_at >= self.killed_at
            and a.status is not None
            and 200 <= a.status < 300
        ]
        self.accepting_at = min(accepted, default=None)

    def seconds_after_kill(self, moment: float | None) -> float | None:
        if moment is None or self.killed_at is None:
            return None
        return round(moment - self.killed_at, 2)

    @property
    def failures(self) -> int:
        return sum(
            n for status, n in self.answers.items() if status.isdigit() and failed(int(status))
        )

    @property
    def ok(self) -> bool:
        return self.error is None and self.during_replay and self.ready_at is not None


@dataclass
class ChaosReport:
    backtest: Report
    pieces: list[PieceRun]
    began: float  # perf_counter seconds, the origin of `killed at`
    answers: dict[str, int] = field(default_factory=dict)  # over the whole run
    dead_letters_before: int | None = None
    dead_letters_after: int | None = None
    healthy_after: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        """Requests the system answered with a 5xx the client does not retry, over the run."""
        return sum(
            n for status, n in self.answers.items() if status.isdigit() and failed(int(status))
        )

    @property
    def new_dead_letters(self) -> int | None:
        if self.dead_letters_before is None or self.dead_letters_after is None:
            return None
        return self.dead_letters_after - self.dead_letters_before

    @property
    def ok(self) -> bool:
        return (
            self.backtest.ok
            and self.failures == 0
            and self.new_dead_letters == 0
            and all(piece.ok for piece in self.pieces)
            and self.healthy_after
            and not self.errors
        )

    def piece_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "piece": p.piece,
                "killed_at_s": None if p.killed_at is None else round(p.killed_at - self.began, 2),
                "during_replay": p.during_replay,
                "ready_s": p.seconds_after_kill(p.ready_at),
                "accepting_s": p.seconds_after_kill(p.accepting_at),
                "system_up_runs": p.system_up_runs,
                "replay_held_s": round(p.held_s, 2),
                "failures_5xx": p.failures,
                "answers": p.answers,
                "error": p.error,
            }
            for p in self.pieces
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "mismatch_count": self.backtest.mismatches,
            "failures_5xx": self.failures,
            "answers": self.answers,
            "dead_letters_before": self.dead_letters_before,
            "dead_letters_after": self.dead_letters_after,
            "new_dead_letters": self.new_dead_letters,
            "healthy_after": self.healthy_after,
            "errors": self.errors,
            "pieces": self.piece_rows(),
            "backtest": self.backtest.to_json(),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")

    def print(self, console: Console) -> None:
        self.backtest.print(console)
        table = Table(title="Chaos: each piece killed (SIGKILL) mid-replay and restarted")
        columns = ("piece", "killed at", "ready", "accepting", "replay held", "5xx failed", "seen")
        for column in columns:
            table.add_column(column, justify="left" if column in ("piece", "seen") else "right")
        for row in self.piece_rows():
            shown = ", ".join(f"{status}×{n}" for status, n in row["answers"].items())
            style = "red" if row["failures_5xx"] else "green"
            table.add_row(
                row["piece"],
                _seconds(row["killed_at_s"]) + ("" if row["during_replay"] else " (after replay)"),
                _seconds(row["ready_s"]),
                _seconds(row["accepting_s"]),
                _seconds(row["replay_held_s"]),
                f"[{style}]{row['failures_5xx']}[/{style}]",
                (shown or "-") + (f"; error: {row['error']}" if row["error"] else ""),
            )
        console.print(table)
        console.print(
            f"mismatches {self.backtest.mismatches}, requests failed with a 5xx {self.failures}, "
            f"new dead letters {self.new_dead_letters}, all ready after: {self.healthy_after}"
        )
        for error in self.errors:
            console.print(f"[red]error:[/red] {error}")
        console.print("[green]chaos: ok[/green]" if self.ok else "[red]chaos: not ok[/red]")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"
