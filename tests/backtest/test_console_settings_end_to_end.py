"""The console's settings page for an admin, in a real browser against the running system, at a
phone's width and a desktop's: a reminder's delay changed there (and the quiet hours turned off)
holds for the next reminder the rules make, and a value the API refuses is named beside its
field. The demo account's settings are put back afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from crm_backtest.client import Gateway

from .browser import DESKTOP, PHONE, Browser
from .conftest import System
from .console_support import (
    answered_by_the_console,
    assert_usable_and_answered,
    failures,
    navigation_titles,
    open_page,
    text_of,
    wait_for,
    wait_until,
)
from .e2e_support import SERVICES_INSTALLED, Scenario, eventually_true

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED]

DELAY_FIELD = "reminder-follow_up_2h-delay"
# Two delays the no-show's first reminder can be given; the test takes the one not in force.
DELAYS = {"PT3H": timedelta(hours=3), "PT4H": timedelta(hours=4)}


def set_delay_and_save(driver: WebDriver, delay: str) -> None:
    # Without quiet hours, which would move a reminder due at night to their end.
    quiet = driver.find_element(By.ID, "quiet-hours-on")
    if quiet.is_selected():
        quiet.click()
    field = driver.find_element(By.ID, DELAY_FIELD)
    field.clear()
    field.send_keys(delay)
    driver.find_element(By.XPATH, "//button[normalize-space()='Save settings']").click()


def next_second() -> datetime:
    """A whole second (as events carry them) not before now: after the change just saved."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["375px", "1280px"])
async def test_a_delay_changed_on_the_settings_page_holds_for_the_next_reminder(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    before: dict[str, Any] = await gateway.get_json("/settings", "demo")
    in_force = before["reminders"]["follow_up_2h"]
    delay = next(text for text in DELAYS if text != in_force["delay"])
    driver = browser.driver
    # The gateway's client token is an admin's.
    base = open_page(system, browser, screen, "/settings", token=gateway.token("demo"))
    try:
        wait_for(driver, f"#{DELAY_FIELD}")
        assert "Settings" in navigation_titles(driver)
        set_delay_and_save(driver, delay)
        wait_until(driver, lambda d: text_of(d, "#settings-status").startswith("Saved"))
        assert driver.find_element(By.ID, DELAY_FIELD).get_attribute("value") == delay
        assert_usable_and_answered(browser, base)

        assert not driver.find_element(By.ID, "quiet-hours-on").is_selected()
        # A no-show after the change: its follow_up_2h comes the new delay after it.
        scenario = Scenario(gateway, "demo")
        started = next_second()
        await scenario.dm(started)
        no_show_at = started + timedelta(seconds=1)
        await scenario.event("NO_SHOW", no_show_at)

        async def first_follow_up() -> set[datetime]:
            return {at for kind, at, _ in await scenario.reminders() if kind == "follow_up_2h"}

        expected = {no_show_at + DELAYS[delay]}
        assert await eventually_true(first_follow_up, lambda due: due == expected) == expected

        # A delay the API refuses (under 5 minutes) is named beside its field, and nothing
        # but that refusal was answered 4xx.
        set_delay_and_save(driver, "PT1M")
        wait_for(driver, f"#{DELAY_FIELD}-error")
        assert driver.find_element(By.ID, DELAY_FIELD).get_attribute("aria-invalid") == "true"
        refused = failures(answered_by_the_console(browser, base))
        assert [(urlsplit(url).path, status) for url, status in refused] == [("/api/settings", 422)]
    finally:
        restore = {"reminders": {"follow_up_2h": in_force}, "quiet_hours": before["quiet_hours"]}
        restored = await gateway.request("PUT", "/settings", "demo", json=restore)
        assert restored.status_code == 200, restored.text
