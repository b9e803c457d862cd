"""`make screenshots` against the running system: every page of crm_devstack.console_pages at
every width gives a PNG as wide as that width, in the folder it is asked to write to."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from crm_devstack.console_pages import CUSTOMER_ID, PAGES, WIDTHS, ConsolePage, image_name
from crm_devstack.demo_data import PROSPECTS, read_demo_env, seed_demo_data
from crm_devstack.screenshots import SCREEN_HEIGHT, take_screenshots

from .conftest import System
from .e2e_support import SERVICES_INSTALLED
from .png_header import png_size

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED, pytest.mark.timeout(600)]


def test_each_page_is_photographed_at_each_width(
    system: System, binaries: tuple[str, str], tmp_path: Path
) -> None:
    seed_demo_data(read_demo_env(system.state_dir))
    written = take_screenshots(system.state_dir, tmp_path, binaries)
    expected = {tmp_path / image_name(page, width) for page in PAGES for width in WIDTHS}
    assert set(written) == expected
    assert sorted(tmp_path.iterdir()) == sorted(expected)
    for width in WIDTHS:
        for page in PAGES:
            shown_width, height = png_size(tmp_path / image_name(page, width))
            assert shown_width == width, page.name
            assert height >= SCREEN_HEIGHT, page.name


def test_a_page_of_a_customer_or_for_admins_is_photographed_too(
    system: System, binaries: tuple[str, str], tmp_path: Path
) -> None:
    """What a page to come may ask for: a real customer's id in its path, an admin's token."""
    seed_demo_data(read_demo_env(system.state_dir))
    pages = (
        ConsolePage("card", f"/customers/{CUSTOMER_ID}", "main h1"),
        ConsolePage("dashboard-as-admin", "/", "#ticker-connection.live", admin=True),
    )
    written = take_screenshots(system.state_dir, tmp_path, binaries, pages, widths=(375,))
    assert written == [tmp_path / "card-375.png", tmp_path / "dashboard-as-admin-375.png"]
    assert [png_size(path)[0] for path in written] == [375, 375]


def test_the_demo_data_is_sent_once_a_day(system: System) -> None:
    """The README: `make screenshots` seeds the demo account once a day (the event ids carry
    the date), so a second run that day finds each prospect and makes no other."""
    env = read_demo_env(system.state_dir)
    seed_demo_data(env)
    seed_demo_data(env)
    auth = {"Authorization": f"Bearer {env['TOKEN']}"}
    with httpx.Client(base_url=env["CRM_API"], timeout=30.0, headers=auth) as client:
        for handle, _, _ in PROSPECTS:
            found = client.get("/customers", params={"q": handle, "limit": 50})
            found.raise_for_status()
            assert [c["handles"].get("ig") for c in found.json()["items"]] == [handle], handle
