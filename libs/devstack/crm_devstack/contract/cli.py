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
from typing import Any

from crm_devstack.contract.asyncapi import asyncapi_document
from crm_devstack.contract.openapi import merged_openapi, services_documents
from crm_devstack.generated_files import stale_files, write_or_check_app

# stale_files is the check this command runs, named here for its callers (tests, make lint).
__all__ = ["app", "default_directory", "documents", "stale_files"]

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


app = write_or_check_app(
    what="the published documents",
    command="uv run python -m crm_devstack.contract",
    expected=documents,
    default_directory=default_directory,
)
