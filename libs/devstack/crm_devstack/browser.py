"""A headless Chromium driven by Selenium: Debian's chromium and chromium-driver (installed on
demand, as root, like the other Debian packages the local system uses; nothing is downloaded
by Selenium), with Chrome's performance log on, to read every response the page got. The
console's browser tests and `make screenshots` drive it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from crm_devstack.system_packages import install_packages, missing_packages

PHONE = (375, 812)
DESKTOP = (1280, 900)


def browser_binaries(log: Callable[[str], None] = print) -> tuple[str, str]:
    """chromium and chromedriver, installed from Debian's packages when missing (with Node.js
    and npm, which build the console); DevstackError where they cannot be installed."""
    install_packages(missing_packages(["browser", "console"]), log)
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    # Installed, yet not found: a broken machine, not one where they cannot be installed.
    if not chromium:
        raise RuntimeError("chromium installed, yet not on PATH")
    if not driver:
        raise RuntimeError("chromium-driver installed, yet chromedriver not on PATH")
    return chromium, driver


@dataclass
class Browser:
    """One browser session; `responses` collects (url, status) of every response so far,
    `requests` (url, headers) of every request."""

    driver: webdriver.Chrome
    responses: list[tuple[str, int]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def show_at(self, width: int, height: int) -> None:
        """The page laid out as on a screen this wide (a phone's, 375 px, or a desktop's)."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )

    def collect(self) -> None:
        """Read the requests and responses logged since the last read (reading drains it)."""
        # Selenium leaves get_log without annotations.
        for entry in self.driver.get_log("performance"):  # type: ignore[no-untyped-call]
            message: dict[str, Any] = json.loads(entry["message"])["message"]
            if message["method"] == "Network.responseReceived":
                response = message["params"]["response"]
                self.responses.append((response["url"], int(response["status"])))
            elif message["method"] == "Network.requestWillBeSent":
                request = message["params"]["request"]
                self.requests.append((request["url"], request["headers"]))

    def collect_responses(self) -> list[tuple[str, int]]:
        """Every response since the session began."""
        self.collect()
        return self.responses


def open_browser(chromium: str, chromedriver: str) -> Iterator[Browser]:
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
