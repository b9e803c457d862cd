"""The headless Chromium of the console's tests (crm_devstack.browser, which `make screenshots`
drives too): where it cannot be installed, the tests are skipped, except in CI."""

from __future__ import annotations

import os

import pytest

from crm_devstack.browser import DESKTOP, PHONE, Browser, open_browser
from crm_devstack.browser import browser_binaries as installed_binaries
from crm_devstack.processes import DevstackError

__all__ = ["DESKTOP", "PHONE", "Browser", "browser_binaries", "open_browser"]


def browser_binaries() -> tuple[str, str]:
    """chromium and chromedriver, installed from Debian's packages when missing. Skips only
    where they cannot be installed (not root, no apt-get); in CI that is a failure."""
    try:
        return installed_binaries()
    except DevstackError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Chromium here and none can be installed: {error}")
