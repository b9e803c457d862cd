"""Write the concordance artifacts into docs/concordance/, or check that they are current.

`uv run python -m crm_devstack.concordance` rewrites them from the crm_schemas models;
`--check` (CI) changes nothing and exits 1 naming every file that differs, so a model change
that was not followed by a regeneration cannot land.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crm_devstack.concordance.artifacts import artifacts

ARTIFACT_DIR = Path("docs") / "concordance"


def default_directory() -> Path:
    """docs/concordance/ of the checkout this package runs from (it holds the legacy copies)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / ARTIFACT_DIR / "legacy").is_dir():
            return parent / ARTIFACT_DIR
    raise RuntimeError("crm_devstack must run from a checkout: docs/concordance/legacy not found")


def stale_artifacts(directory: Path) -> list[str]:
    """The artifact files missing from directory or differing from what the models give."""
    stale = []
    for name, text in artifacts().items():
        path = directory / name
        # Bytes, not text: a checkout that rewrote line endings is stale too.
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(name)
    return stale


def write_artifacts(directory: Path) -> list[str]:
    """Write every artifact that differs; returns the names written."""
    stale = stale_artifacts(directory)
    expected = artifacts()
    directory.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (directory / name).write_bytes(expected[name].encode("utf-8"))
    return stale


app = typer.Typer(
    help="Concordance artifacts (status mapping, event catalog, report) from the schemas.",
    add_completion=False,
)


@app.callback(invoke_without_command=True)
def concordance(
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 if any artifact is stale.")
    ] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where the artifacts live.", show_default=False)
    ] = None,
) -> None:
    """Write docs/concordance/*.json and README.md from the models, or --check them."""
    target = directory or default_directory()
    if check:
        stale = stale_artifacts(target)
        for name in stale:
            typer.echo(f"stale: {target / name}", err=True)
        if stale:
            typer.echo(
                "concordance artifacts are out of date; run "
                "`uv run python -m crm_devstack.concordance` and commit the result",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"concordance artifacts in {target} are current")
        return
    written = write_artifacts(target)
    for name in written:
        typer.echo(f"wrote {target / name}")
    if not written:
        typer.echo(f"concordance artifacts in {target} were already current")
