"""A console build as Vite writes one (index.html and a hashed asset), for the nginx tests of
the gateway and of the console image: what they serve, and where."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

CONSOLE_PAGE = "<!doctype html><title>console</title>"
CONSOLE_SCRIPT = "export const console = 1;"
CONSOLE_ASSET = "/assets/index-abc123.js"


def made_console_build() -> Iterator[Path]:
    """The build's folder, outside pytest's tmp_path, whose parent only its owner may read:
    nginx's workers run as `nobody` when it is started as root, and must read these files."""
    with tempfile.TemporaryDirectory(prefix="console-") as made:
        folder = Path(made)
        folder.chmod(0o755)
        (folder / "assets").mkdir(mode=0o755)
        (folder / "index.html").write_text(CONSOLE_PAGE)
        (folder / CONSOLE_ASSET.lstrip("/")).write_text(CONSOLE_SCRIPT)
        yield folder


async def assert_serves_the_console(base: str) -> None:
    """The console at `/`, as the gateway serves it: its page for every path outside /api, its
    assets kept for good, and /api the API's own 404."""
    async with httpx.AsyncClient(base_url=base) as client:
        # The console's own routes (a reload, a shared link) are its page, which routes them.
        for path in ("/", "/customers/4f1c", "/settings"):
            page = await client.get(path)
            assert (page.status_code, page.text) == (200, CONSOLE_PAGE), path
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "no-cache"
        script = await client.get(CONSOLE_ASSET)
        assert (script.status_code, script.text) == (200, CONSOLE_SCRIPT)
        # A module script of another type is refused by the browser.
        assert script.headers["content-type"].startswith("text/javascript")
        assert "immutable" in script.headers["cache-control"]
        # A missing asset is missing, not the page; /api stays the API's, unknown paths 404.
        assert (await client.get("/assets/gone.js")).status_code == 404
        for path in ("/api", "/api/", "/api/nothing-here/deeper"):
            answer = await client.get(path)
            assert answer.status_code == 404, path
            assert answer.headers["content-type"] == "application/problem+json"
