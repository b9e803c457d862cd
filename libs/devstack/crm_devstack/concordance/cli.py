"""Write the concordance artifacts into docs/concordance/, or check that they are current.

`uv run python -m crm_devstack.concordance` rewrites them from the crm_schemas models;
`--check` (CI) changes nothing and exits 1 naming every file that differs, so a model change
that was not followed by a regeneration cannot land.
"""

from __future__ import annotations

from pathlib import Path

from crm_devstack.concordance.artifacts import artifacts
from crm_devstack.generated_files import stale_files, write_or_check_app, write_stale_files

ARTIFACT_DIR = Path("docs") / "concordance"


def default_directory() -> Path:
    """docs/concordance/ of the checkout this package runs from (it holds the legacy copies)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / ARTIFACT_DIR / "legacy").is_dir():
            return parent / ARTIFACT_DIR
    raise RuntimeError("crm_devstack must run from a checkout: docs/concordance/legacy not found")


def stale_artifacts(directory: Path) -> list[str]:
    """The artifact files missing from directory or differing from what the models give."""
    return stale_files(directory, artifacts())


def write_artifacts(directory: Path) -> list[str]:
    """Write every artifact that differs; returns the names written."""
    return write_stale_files(directory, artifacts())


app = write_or_check_app(
    what="concordance artifacts",
    command="uv run python -m crm_devstack.concordance",
    expected=artifacts,
    default_directory=default_directory,
)
