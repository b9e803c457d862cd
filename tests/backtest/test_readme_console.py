"""The README's console section and docs/console/: every image the README shows is in docs/,
is one `make screenshots` takes (so it can be taken again), and every page of the console
(console/src/layout/pages.ts) is in the screenshots' list, with its images in docs/console/,
so a page added without its screenshots fails here. No server: the files are read."""

from __future__ import annotations

import re
from pathlib import Path

from crm_devstack.console_pages import PAGES, WIDTHS, image_name, path_pattern
from crm_devstack.demo_data import PROSPECTS

from .png_header import png_size
from .readme_blocks import README, ROOT

CONSOLE_PAGES_TS = ROOT / "console" / "src" / "layout" / "pages.ts"
# The pages reached by links (the customer card), listed apart from the navigation's.
CONSOLE_LINKED_PAGES_TS = ROOT / "console" / "src" / "layout" / "linkedPages.ts"
SCREENSHOTS = ROOT / "docs" / "console"


def readme_images() -> list[Path]:
    """What the README shows: Markdown images and HTML <img> tags, resolved from its folder."""
    text = README.read_text(encoding="utf-8")
    sources = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    sources += re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", text)
    return [README.parent / source for source in sources]


def listed_paths(source: Path, listing: str) -> list[str]:
    """The `path:` values of the pages a console source file lists after `listing`."""
    listed = source.read_text(encoding="utf-8").split(listing, 1)[1]
    return re.findall(r"\bpath:\s*[\"'`]([^\"'`]+)[\"'`]", listed)


def console_paths() -> list[str]:
    """The paths of the console's pages: the navigation's and those reached by links."""
    return listed_paths(CONSOLE_PAGES_TS, "PAGES") + listed_paths(
        CONSOLE_LINKED_PAGES_TS, "LINKED_PAGES"
    )


def test_every_image_the_readme_shows_is_a_screenshot_in_docs() -> None:
    images = readme_images()
    taken = {SCREENSHOTS / image_name(page, width) for page in PAGES for width in WIDTHS}
    for image in images:
        assert image.resolve().is_relative_to((ROOT / "docs").resolve()), image
        assert image.is_file(), f"the README shows {image}, which is missing"
        assert image in taken, f"{image.name} is not one `make screenshots` takes"


def test_the_readme_shows_every_page_at_a_desktops_and_a_phones_width() -> None:
    section = README.read_text(encoding="utf-8").split("## The console", 1)[1].split("\n## ")[0]
    assert "`make screenshots`" in section
    shown = {image.name for image in readme_images()}
    taken = {image_name(page, width) for page in PAGES for width in WIDTHS}
    assert taken <= shown, f"not in the README: {sorted(taken - shown)}"


def test_the_screenshots_cover_every_page_of_the_console() -> None:
    paths = console_paths()
    assert "/" in paths, f"no page paths read from {CONSOLE_PAGES_TS}"
    assert "/customers/:id" in paths, f"no page paths read from {CONSOLE_LINKED_PAGES_TS}"
    photographed = {path_pattern(page.path) for page in PAGES if page.signed_in}
    missing = [path for path in paths if path_pattern(path) not in photographed]
    assert missing == [], f"add each to crm_devstack.console_pages.PAGES: {missing}"


def test_every_listed_page_has_its_images_in_docs_at_each_width() -> None:
    assert len({page.name for page in PAGES}) == len(PAGES)
    for page in PAGES:
        for width in WIDTHS:
            image = SCREENSHOTS / image_name(page, width)
            assert image.is_file(), f"{image} missing: run `make screenshots`"
            assert png_size(image)[0] == width, image.name


def test_a_variable_segment_compares_equal_however_it_is_spelled() -> None:
    patterns = {path_pattern(p) for p in ("/customers/{customer_id}", "/customers/:id")}
    assert patterns == {"/customers/*"}
    assert path_pattern("/customers") != path_pattern("/customers/:id")


def test_the_demo_data_is_not_found_by_the_readmes_searches() -> None:
    """The README's examples find their customer by a search (`?q=ada.l`); on a system where
    `make screenshots` sent its prospects, the search must still find theirs alone."""
    searched = re.findall(r"\bq=([\w.@-]+)", README.read_text(encoding="utf-8"))
    assert searched, "the README searches for no customer any more"
    for handle, name, _ in PROSPECTS:
        for term in searched:
            assert term.lower() not in handle.lower(), (handle, term)
            assert term.lower() not in name.lower(), (name, term)
