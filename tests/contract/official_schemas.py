"""The official AsyncAPI 3.0.0 JSON Schema, from the npm package `@asyncapi/specs` (pinned),
fetched with npm on first use into a cache folder and read from there after."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Final

from crm_devstack.settings import repo_root

SPECS_PACKAGE: Final = "@asyncapi/specs@6.11.1"
SCHEMA_IN_PACKAGE: Final = "package/schemas/3.0.0-without-$id.json"
CACHE: Final = repo_root() / ".local" / "cache" / "asyncapi-specs"


def asyncapi_3_schema() -> dict[str, Any]:
    cached = CACHE / "6.11.1" / "3.0.0-without-$id.json"
    if not cached.is_file():
        npm = shutil.which("npm")
        assert npm is not None, "npm is needed to fetch the AsyncAPI schema (apt-get install npm)"
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as work:
            subprocess.run(
                [npm, "pack", SPECS_PACKAGE, "--pack-destination", work, "--silent"],
                check=True,
                capture_output=True,
                timeout=180,
            )
            (tarball,) = Path(work).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                archive.extract(SCHEMA_IN_PACKAGE, work, filter="data")
            cached.parent.mkdir(parents=True, exist_ok=True)
            # Renamed into place: a test running beside this one never reads half a file.
            os.replace(Path(work) / SCHEMA_IN_PACKAGE, cached)
    schema: dict[str, Any] = json.loads(cached.read_text())
    return schema
