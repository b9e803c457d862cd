"""When `make install` runs `npm ci` and the console's build: only when what each reads is newer
than what it made last (file times set by hand; no npm runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm_devstack import console_build

OLD, NEW = 1_000_000_000, 1_000_000_100


def _file(path: Path, mtime: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(path.name)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with a console whose packages and build are newer than all they read."""
    folder = tmp_path / "console"
    monkeypatch.setattr(console_build, "CONSOLE", folder)
    monkeypatch.setattr(console_build, "DIST", folder / "dist")
    monkeypatch.setattr(console_build, "_GENERATED", folder / "src" / "api" / "schema.d.ts")
    for name in ("index.html", "package-lock.json", "tsconfig.json", "vite.config.ts"):
        _file(folder / name, OLD)
    _file(tmp_path / "services/ingest/crm_ingest/published/openapi.json", OLD)
    _file(tmp_path / "docs/concordance/status_mapping.json", OLD)
    _file(folder / "src" / "main.tsx", OLD)
    _file(folder / "node_modules" / ".package-lock.json", NEW)
    _file(folder / "dist" / "index.html", NEW)
    return folder


def test_nothing_is_redone_when_nothing_changed(console: Path) -> None:
    assert not console_build.packages_stale()
    assert not console_build.build_stale()


def test_a_missing_build_or_missing_packages_are_made(console: Path) -> None:
    (console / "dist" / "index.html").unlink()
    (console / "node_modules" / ".package-lock.json").unlink()
    assert console_build.packages_stale()
    assert console_build.build_stale()


def test_a_newer_lock_file_reinstalls_the_packages_and_rebuilds(console: Path) -> None:
    _file(console / "package-lock.json", NEW + 1)
    assert console_build.packages_stale()
    assert console_build.build_stale()


@pytest.mark.parametrize(
    "changed",
    [
        "src/dashboard/Figures.tsx",
        "index.html",
        "vite.config.ts",
        "../services/ingest/crm_ingest/published/openapi.json",
        "../docs/concordance/status_mapping.json",
    ],
)
def test_a_newer_source_setting_or_api_document_rebuilds(console: Path, changed: str) -> None:
    _file((console / changed).resolve(), NEW + 1)
    assert console_build.build_stale()
    assert not console_build.packages_stale()


def test_the_generated_api_types_do_not_count_as_a_change(console: Path) -> None:
    # Generated from the document by every build and type check (`make lint`), so they are
    # newer than the build after a lint, without any change to build.
    _file(console / "src" / "api" / "schema.d.ts", NEW + 1)
    assert not console_build.build_stale()
