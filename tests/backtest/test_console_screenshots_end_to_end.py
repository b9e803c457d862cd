"""`make screenshots` against the running system: every page of crm_devstack.console_pages at
every width gives a PNG as wide as that width, in the folder it is asked to write to."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_devstack.console_pages import PAGES, WIDTHS, image_name
from crm_devstack.demo_data import read_demo_env, seed_demo_data
from crm_devstack.screenshots import SCREEN_HEIGHT, take_screenshots

from .conftest import System
from .e2e_support import SERVICES_INSTALLED
from .png_header import png_size

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED, pytest.mark.timeout(600)]


def test_each_page_is_photographed_at_each_width(
    system: System, binaries: tuple[str, str], tmp_path: Path
) -> None:
    env = read_demo_env(system.state_dir)
    seed_demo_data(env)
    written = take_screenshots(env, tmp_path, binaries)
    expected = {tmp_path / image_name(page, width) for page in PAGES for width in WIDTHS}
    assert set(written) == expected
    assert sorted(tmp_path.iterdir()) == sorted(expected)
    for width in WIDTHS:
        for page in PAGES:
            shown_width, height = png_size(tmp_path / image_name(page, width))
            assert shown_width == width, page.name
            assert height >= SCREEN_HEIGHT, page.name
