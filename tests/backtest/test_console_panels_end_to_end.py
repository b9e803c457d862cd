"""The dashboard's panels in a real browser against the running system: a no-show's reminders in
the due reminders, and the funnel, speed to lead and coaching prompts as the API answers them,
at a phone's width and a desktop's."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from crm_backtest.client import Gateway, monotonic

from .browser import DESKTOP, PHONE, Browser
from .conftest import System
from .console_support import (
    WAIT_S,
    assert_usable_and_answered,
    find_in_due_reminders,
    open_dashboard,
    text_of,
    wait_for,
    wait_until,
    week_panels_answered,
    week_panels_shown,
)
from .e2e_support import SERVICES_INSTALLED, Scenario, eventually_true

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED]


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["375px", "1280px"])
async def test_the_panels_hold_the_reminders_due_the_funnel_speed_to_lead_and_coaching(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    driver = browser.driver
    base = open_dashboard(system, browser, screen)

    scenario = Scenario(gateway, "demo")
    await scenario.no_show_with_reminders_due()

    async def due() -> list[str]:
        items = await gateway.list_all("/reminders/due", "demo", customer_id=scenario.customer_id)
        return [item["id"] for item in items]

    reminder_ids = await eventually_true(due, bool)
    assert reminder_ids, "the API lists no due reminder for the no-show"
    # The rules make the reminders after the ticker item that had the page read its panels.
    driver.refresh()
    for reminder_id in reminder_ids:
        wait_until(driver, lambda d, rid=reminder_id: find_in_due_reminders(d, rid))
        row = f'#reminders li[data-reminder-id="{reminder_id}"]'
        wait_until(driver, lambda d, row=row: "E2E Prospect" in text_of(d, row))
        assert "Due" in text_of(driver, row)

    # The week's panels against the API's answer: read it, then the page afresh, until both
    # agree (the stats may still be counting the no-show when first read).
    deadline = monotonic() + WAIT_S
    while True:
        answered = await week_panels_answered(gateway)
        driver.refresh()
        wait_for(driver, "#funnel")
        wait_for(driver, "#speed-to-lead")
        wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#coaching, #coaching-empty"))
        shown = week_panels_shown(driver)
        if shown == answered or monotonic() > deadline:
            break
    assert shown == answered

    assert_usable_and_answered(browser, base)
