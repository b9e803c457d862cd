"""How many processes of each service `system up` runs, and what each replica is called.

A count is given as `service=N` words (`--replicas "customers=2 rules=2"`, `make up
REPLICAS=...`). The counts in force are recorded in the run folder beside the pid files, so a
later plain `system up` (after a replica was killed, say) starts the same set again;
`system down` forgets them, and the next `make up` runs one of each.

The first replica keeps the service's own name (run/customers.pid, logs/customers.log), so a
system of one replica each looks exactly as before; replica i > 1 is `customers-i`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_schemas.topics import PARTITIONS

# A replica beyond the partition count would get no partition: it would consume nothing.
MAX_REPLICAS = PARTITIONS
RECORD_FILE = "replicas.json"
_REPLICA_NAME = re.compile(r"^(?P<service>[a-z]+)(?:-(?P<index>\d+))?$")


def parse_replicas(specs: Iterable[str]) -> dict[str, int]:
    """`service=N` words, separated by spaces or commas, into counts by service.

    Raises ValueError naming the word for an unknown service, a count that is not a whole
    number in 1..MAX_REPLICAS, or a service named twice.
    """
    counts: dict[str, int] = {}
    for word in (w for spec in specs for w in re.split(r"[\s,]+", spec) if w):
        service, equals, raw = word.partition("=")
        if not equals:
            raise ValueError(f"replicas {word!r}: write service=count, e.g. customers=2")
        if service not in SERVICE_PORTS:
            raise ValueError(
                f"replicas {word!r}: unknown service {service!r}; known: {', '.join(SERVICE_PORTS)}"
            )
        if service in counts:
            raise ValueError(f"replicas {word!r}: {service} is given twice")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_REPLICAS:
            raise ValueError(
                f"replicas {word!r}: the count must be a whole number from 1 to {MAX_REPLICAS} "
                f"(the topic's partition count: a replica beyond it would consume nothing)"
            )
        counts[service] = int(raw)
    return counts


def replica_name(service: str, index: int) -> str:
    """The name of a replica's pid file and log: `customers`, then `customers-2`, ..."""
    if index < 1:
        raise ValueError(f"replica numbers start at 1, not {index}")
    return service if index == 1 else f"{service}-{index}"


def split_replica_name(name: str) -> tuple[str, int] | None:
    """(service, index) of a replica's name, or None when it names no service's replica."""
    found = _REPLICA_NAME.match(name)
    if found is None or found["service"] not in SERVICE_PORTS:
        return None
    index = int(found["index"]) if found["index"] else 1
    # `customers-1` is not a name replica_name gives: the first replica is `customers`.
    if found["index"] is not None and index < 2:
        return None
    return found["service"], index


def running_replica_indexes(run_dir: Path, service: str) -> list[int]:
    """The replica numbers of the service that have a pid file (alive or not), in order."""
    indexes = []
    for pid_file in run_dir.glob(f"{service}*.pid"):
        parsed = split_replica_name(pid_file.stem)
        if parsed is not None and parsed[0] == service:
            indexes.append(parsed[1])
    return sorted(indexes)


def recorded_counts(run_dir: Path) -> dict[str, int]:
    """The counts in force: one of each service unless `system up --replicas` said more."""
    counts = dict.fromkeys(SERVICE_PORTS, 1)
    try:
        saved = json.loads((run_dir / RECORD_FILE).read_text())
    except FileNotFoundError:
        return counts
    except ValueError as error:
        raise ValueError(
            f"{run_dir / RECORD_FILE} is not valid JSON ({error}); delete it"
        ) from None
    counts.update(parse_replicas(f"{name}={count}" for name, count in saved.items()))
    return counts


def record_counts(run_dir: Path, changes: Mapping[str, int]) -> dict[str, int]:
    """Apply the changes to the recorded counts, save them, and return all counts."""
    counts = {**recorded_counts(run_dir), **changes}
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RECORD_FILE).write_text(json.dumps(counts, indent=1) + "\n")
    return counts


def forget_counts(run_dir: Path) -> None:
    (run_dir / RECORD_FILE).unlink(missing_ok=True)
