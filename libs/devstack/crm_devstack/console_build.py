"""The web console (console/): its npm packages and its build, made by `make install` and
served by the gateway at `/` from console/dist.

Both steps are skipped when nothing they read changed since they last ran, so `make install`
and `make up` stay quick: `npm ci` when package-lock.json is newer than the packages it
installed (npm's own record, node_modules/.package-lock.json), the build when a source, a
setting or the OpenAPI document its API types are generated from is newer than the build.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from crm_devstack.processes import DevstackError

CONSOLE: Final = Path(__file__).resolve().parents[3] / "console"
DIST: Final = CONSOLE / "dist"
# What the build reads besides src/ (the API types come from the published document).
_BUILD_INPUTS: Final = (
    "index.html",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "../services/ingest/crm_ingest/published/openapi.json",
    # The pipeline's vocabularies, which the customer card reads.
    "../docs/concordance/status_mapping.json",
)
_GENERATED: Final = CONSOLE / "src" / "api" / "schema.d.ts"


def _newest(paths: Iterable[Path]) -> float:
    return max((path.stat().st_mtime for path in paths if path.is_file()), default=0.0)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.is_file() else -1.0


def packages_stale() -> bool:
    return _mtime(CONSOLE / "node_modules" / ".package-lock.json") < _mtime(
        CONSOLE / "package-lock.json"
    )


def build_stale() -> bool:
    sources = [p for p in (CONSOLE / "src").rglob("*") if p != _GENERATED]
    inputs = [*sources, *((CONSOLE / name).resolve() for name in _BUILD_INPUTS)]
    return _mtime(DIST / "index.html") < _newest(inputs)


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DevstackError("npm not found: run `make install` (it installs nodejs and npm)")
    result = subprocess.run(
        [npm, *args],
        cwd=CONSOLE,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DevstackError(f"npm {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def build_console(say: Callable[[str], None]) -> None:
    """Install the console's npm packages as locked, and build it, each only when stale."""
    if packages_stale():
        say("installing the console's npm packages (npm ci)")
        _npm("ci", "--no-audit", "--no-fund")
    if build_stale():
        say("building the console (npm run build)")
        _npm("run", "build")
