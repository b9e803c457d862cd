"""The machine a benchmark ran on, so its figures can be read against it."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Machine:
    cpus: int
    cpu_model: str
    memory_gb: float
    python: str
    commit: str
    started_at: str
    load_at_start: tuple[float, float, float]
    load_at_end: tuple[float, float, float] | None = None

    def lines(self) -> list[str]:
        end = _load(self.load_at_end) if self.load_at_end else "?"
        return [
            f"machine: {self.cpus} CPUs ({self.cpu_model}), {self.memory_gb:.1f} GB memory",
            f"load average (1/5/15 min): {_load(self.load_at_start)} at start, {end} at end",
            f"Python {self.python}, commit {self.commit}, started {self.started_at}",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "cpus": self.cpus,
            "cpu_model": self.cpu_model,
            "memory_gb": self.memory_gb,
            "python": self.python,
            "commit": self.commit,
            "started_at": self.started_at,
            "load_at_start": list(self.load_at_start),
            "load_at_end": list(self.load_at_end) if self.load_at_end else None,
        }


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model"):
            return value.strip()
    return platform.processor() or platform.machine()


def memory_gb(meminfo: str) -> float:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024  # the file counts kB
    return 0.0


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def git_commit(root: Path) -> str:
    """The short commit, marked when the working tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{commit or 'unknown'}{' + local changes' if changed else ''}"


def describe(root: Path) -> Machine:
    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=cpu_model(_read("/proc/cpuinfo")),
        memory_gb=round(memory_gb(_read("/proc/meminfo")), 1),
        python=platform.python_version(),
        commit=git_commit(root),
        started_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load_at_start=os.getloadavg(),
    )
