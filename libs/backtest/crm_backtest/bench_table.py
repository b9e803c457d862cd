"""`make bench`'s one table with the machine above it: printed, and written as JSON and as
Markdown (docs/benchmarks.md's table is pasted from the Markdown)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from crm_backtest.bench_rows import Row
from crm_backtest.machine import Machine

MET = {True: "yes", False: "no", None: "—"}
STYLE = {True: "green", False: "red", None: "dim"}


@dataclass
class BenchTable:
    machine: Machine
    rows: list[Row]
    commands: list[str] = field(default_factory=list)  # what ran, in order
    notes: list[str] = field(default_factory=list)

    def print(self, console: Console) -> None:
        for line in self.machine.lines():
            console.print(line, highlight=False)
        table = Table(title="make bench", title_justify="left")
        table.add_column("part")
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column("target")
        table.add_column("met?")
        for row in self.rows:
            met = f"[{STYLE[row.met]}]{MET[row.met]}[/{STYLE[row.met]}]"
            table.add_row(row.part, row.metric, row.value, row.target, met)
        console.print(table)
        for note in self.notes:
            console.print(f"note: {note}", highlight=False)

    def markdown(self) -> str:
        lines = [f"- {line}" for line in self.machine.lines()]
        lines += ["", "| part | metric | value | target | met? |", "|---|---|---|---|---|"]
        for row in self.rows:
            cells = (row.part, row.metric, row.value, row.target, MET[row.met])
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        if self.commands:
            lines += ["", "Commands run, in order:", ""]
            lines += [f"- `{command}`" for command in self.commands]
        if self.notes:
            lines += ["", *(f"Note: {note}" for note in self.notes)]
        return "\n".join(lines).rstrip() + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine.to_json(),
            "rows": [row.to_json() for row in self.rows],
            "commands": self.commands,
            "notes": self.notes,
        }

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        as_json, as_markdown = folder / "latest.json", folder / "latest.md"
        as_json.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        as_markdown.write_text(self.markdown())
        return as_json, as_markdown
