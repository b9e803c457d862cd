"""`make screenshots`: each page of crm_devstack.console_pages at each width, as a PNG in
docs/console/, taken in a headless Chromium from the running system (`make up`), signed in as
the demo account by the address `make up` wrote to demo.env (CRM_CONSOLE).

    uv run python -m crm_devstack.screenshots [--seed-demo-data] [--out docs/console]

The whole page is photographed, not just the screen's height: the dashboard's panels are
stacked at a phone's width, and the image shows them all (up to MAX_HEIGHT).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Final

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from crm_devstack.browser import Browser, browser_binaries, open_browser
from crm_devstack.console_pages import (
    CUSTOMER_ID,
    PAGES,
    WIDTHS,
    ConsolePage,
    image_name,
    needs_customer,
)
from crm_devstack.demo_account import DEMO_ACCOUNT, LocalSecrets
from crm_devstack.demo_data import first_customer_id, read_demo_env, seed_demo_data
from crm_devstack.settings import StackConfig, repo_root
from crm_servicekit.auth import Role, mint_token

WAIT_S: Final = 60.0
ADMIN_TTL: Final = timedelta(hours=1)
SCREEN_HEIGHT: Final = 900
MAX_HEIGHT: Final = 6000
# What a panel shows while its answer is on its way (console/src/dashboard/Waiting.tsx).
LOADING: Final = "Loading…"


def _loaded(driver: WebDriver, page: ConsolePage) -> bool:
    if not driver.find_elements(By.CSS_SELECTOR, page.loaded):
        return False
    body: str = driver.find_element(By.TAG_NAME, "body").text
    return LOADING not in body


def _open(browser: Browser, base: str, page: ConsolePage, token: str, customer: str) -> None:
    """The page, signed in with the token (in the fragment, as the printed address does) or
    signed out, then waited for until it has loaded its data."""
    driver = browser.driver
    path = page.path.replace(CUSTOMER_ID, customer)
    # From a blank page, so that a change of the fragment alone is still a new load.
    driver.get("about:blank")
    if page.signed_in:
        driver.get(f"{base}{path}#token={token}")
    else:
        driver.get(f"{base}{path}")
        driver.execute_script("sessionStorage.clear()")
        driver.refresh()
    ignored = (StaleElementReferenceException, NoSuchElementException)
    WebDriverWait(driver, WAIT_S, ignored_exceptions=ignored).until(
        lambda d: _loaded(d, page), f"{page.name} at {path} did not load within {WAIT_S:.0f} s"
    )


def _photograph(browser: Browser, width: int) -> bytes:
    """The whole page at this width: the screen made as tall as the page, then captured."""
    height: int = browser.driver.execute_script("return document.documentElement.scrollHeight")
    browser.show_at(width, max(SCREEN_HEIGHT, min(height, MAX_HEIGHT)))
    png: bytes = browser.driver.get_screenshot_as_png()
    return png


def _admin_token(state_dir: Path) -> str:
    """An admin's token of the demo account, signed with the local system's secret."""
    secret = LocalSecrets.load_or_create(state_dir).jwt_secret
    return mint_token(secret, DEMO_ACCOUNT, "screenshots", ADMIN_TTL, role=Role.ADMIN)


def take_screenshots(
    state_dir: Path,
    out: Path,
    binaries: tuple[str, str],
    pages: Sequence[ConsolePage] = PAGES,
    widths: Sequence[int] = WIDTHS,
) -> list[Path]:
    """Each page at each width into `out` as <page>-<width>.png, from the local system whose
    state (demo.env, the secrets) is in `state_dir`."""
    env = read_demo_env(state_dir)
    base = env["CRM_CONSOLE"].split("#", 1)[0].rstrip("/")
    customer = first_customer_id(env) if any(needs_customer(p) for p in pages) else ""
    tokens = {False: env["TOKEN"]}
    if any(page.admin for page in pages):
        tokens[True] = _admin_token(state_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for browser in open_browser(*binaries):
        for width in widths:
            for page in pages:
                browser.show_at(width, SCREEN_HEIGHT)
                _open(browser, base, page, tokens[page.admin], customer)
                target = out / image_name(page, width)
                target.write_bytes(_photograph(browser, width))
                written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_devstack.screenshots",
        description="Photograph each page of the console at 375 and 1280 px into docs/console/.",
    )
    parser.add_argument("--out", type=Path, default=repo_root() / "docs" / "console")
    parser.add_argument(
        "--seed-demo-data",
        action="store_true",
        help="first send a few prospects to the demo account (once a day; a fresh system has none)",
    )
    args = parser.parse_args(argv)
    state_dir = StackConfig.from_env().state_dir
    if args.seed_demo_data:
        seed_demo_data(read_demo_env(state_dir))
    for path in take_screenshots(state_dir, args.out, browser_binaries()):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
