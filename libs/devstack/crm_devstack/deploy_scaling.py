"""The KEDA thresholds of deploy/k8s/<service>.yaml, derived from deploy/capacity.json.

The manifests are written by hand (their comments say why each setting is what it is); only
the thresholds are generated: the `lagThreshold` of each ScaledObject's kafka trigger, and
ingest's cpu trigger. A file whose trigger cannot be found exactly once is an error rather
than left as it is, so a reshaped manifest cannot fall out of the check unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from crm_devstack.capacity import (
    SCALED_SERVICES,
    CapacityFigures,
    cpu_target_millicores,
    lag_threshold,
    load_figures,
)

K8S: Final = Path("deploy") / "k8s"

# The value line of the kafka trigger; its comment above stays as written.
_LAG_THRESHOLD: Final = re.compile(r'^(?P<indent> +)lagThreshold: "[^"\n]*"$', re.MULTILINE)
# The whole cpu trigger: its metric type and its value are both generated.
_CPU_TRIGGER: Final = re.compile(
    r"^(?P<indent> +)- type: cpu\n"
    r"(?P=indent)  metricType: \w+\n"
    r"(?P=indent)  metadata:\n"
    r'(?P=indent)    value: "[^"\n]*"$',
    re.MULTILINE,
)
# Ingest's load is HTTP, which lag does not show, so CPU scales it too.
CPU_SCALED: Final = frozenset({"ingest"})


def manifest(service: str) -> Path:
    return K8S / f"{service}.yaml"


def _replace_once(pattern: re.Pattern[str], text: str, render: str, where: str) -> str:
    replaced, count = pattern.subn(lambda m: render.format(indent=m["indent"]), text)
    if count != 1:
        raise ValueError(f"{where}: expected one {pattern.pattern!r}, found {count}")
    return replaced


def with_thresholds(text: str, figures: CapacityFigures, service: str) -> str:
    """The manifest's text with the thresholds the figures give for the service."""
    where = str(manifest(service))
    text = _replace_once(
        _LAG_THRESHOLD, text, f'{{indent}}lagThreshold: "{lag_threshold(figures, service)}"', where
    )
    if service in CPU_SCALED:
        millicores = cpu_target_millicores()
        block = (
            "{indent}- type: cpu\n"
            "{indent}  metricType: AverageValue\n"
            "{indent}  metadata:\n"
            f'{{indent}}    value: "{millicores}m"'
        )
        text = _replace_once(_CPU_TRIGGER, text, block, where)
    return text


def generated_manifest(root: Path, service: str) -> str:
    """What deploy/k8s/<service>.yaml under root should hold (it must exist: only its
    thresholds are generated)."""
    path = root / manifest(service)
    if not path.is_file():
        raise FileNotFoundError(f"{manifest(service)} is written by hand and is missing")
    return with_thresholds(path.read_text(encoding="utf-8"), load_figures(root), service)


SCALED_MANIFESTS: Final = {manifest(service): service for service in SCALED_SERVICES}
