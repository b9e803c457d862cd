"""Write the published documents into ingest's package, or check that they are current.

`uv run python -m crm_devstack.contract` rewrites services/ingest/crm_ingest/published/
(openapi.json, asyncapi.json) from the code; `--check` (make lint, CI) changes nothing and exits
1 naming every file that differs, so a changed route or model that was not followed by a
regeneration cannot land.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from crm_devstack.contract.asyncapi import asyncapi_document
from crm_devstack.contract.openapi import merged_openapi, services_documents

PUBLISHED_DIR = Path("services") / "ingest" / "crm_ingest" / "published"
OPENAPI_FILE = "openapi.json"
ASYNCAPI_FILE = "asyncapi.json"


def default_directory() -> Path:
    """The published/ folder of the checkout this package runs from."""
    for parent in Path(__file__).resolve().parents:
        if (parent / PUBLISHED_DIR).parent.is_dir():
            return parent / PUBLISHED_DIR
    raise RuntimeError("crm_devstack must run from a checkout: services/ingest not found")


def as_text(document: Mapping[str, Any]) -> str:
    """The document as its file holds it: indented, key order as generated, one final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def documents() -> dict[str, str]:
    """Each published file's name and the text the code gives for it."""
    return {
        OPENAPI_FILE: as_text(merged_openapi(services_documents())),
        ASYNCAPI_FILE: as_text(asyncapi_document()),
    }


def stale_files(directory: Path, expected: Mapping[str, str]) -> list[str]:
    """The files missing from directory or differing from the expected texts."""
    return [
        name
        for name, text in expected.items()
        # Bytes, not text: a checkout that rewrote line endings is stale too.
        if not (directory / name).is_file()
        or (directory / name).read_bytes() != text.encode("utf-8")
    ]


app = typer.Typer(
    help="The published OpenAPI and AsyncAPI documents, from the code.", add_completion=False
)


@app.callback(invoke_without_command=True)
def contract(
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 if a document is stale.")
    ] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where the documents live.", show_default=False)
    ] = None,
) -> None:
    """Write services/ingest/crm_ingest/published/*.json from the code, or --check them."""
    target = directory or default_directory()
    expected = documents()
    stale = stale_files(target, expected)
    if check:
        for name in stale:
            typer.echo(f"stale: {target / name}", err=True)
        if stale:
            typer.echo(
                "the published documents are out of date; run "
                "`uv run python -m crm_devstack.contract` and commit the result",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"the published documents in {target} are current")
        return
    target.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (target / name).write_bytes(expected[name].encode("utf-8"))
        typer.echo(f"wrote {target / name}")
