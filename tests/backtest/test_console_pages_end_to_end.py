"""The console's customers and deliveries pages, and a member's settings page, in a real browser
against the running system, at a phone's width and a desktop's: a search finds the customers
made here and the next page comes with the API's cursor; a signed webhook sent here is in the
deliveries log; a member is not offered the settings and is told they are an admin's, without
one request the API would refuse. The admin's settings: test_console_settings_end_to_end.py."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from crm_backtest.client import Gateway

from .browser import DESKTOP, PHONE, Browser
from .conftest import System
from .console_support import (
    assert_usable_and_answered,
    navigation_titles,
    open_page,
    requested_urls,
    text_of,
    wait_for,
    wait_until,
)
from .e2e_support import SERVICES_INSTALLED, Scenario, eventually_true, hours_ago

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED]
SCREENS = pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["375px", "1280px"])
# One more customer than the page holds, so the search has a second page.
CUSTOMERS_PAGE = 20


async def new_customers(gateway: Gateway, tag: str, count: int) -> set[str]:
    async def create(number: int) -> str:
        body = {"name": f"Pages {tag} {number:02d}", "source": "manual"}
        response = await gateway.request("POST", "/customers", "demo", json=body)
        assert response.status_code == 201, response.text
        customer_id: str = response.json()["id"]
        return customer_id

    return set(await asyncio.gather(*(create(number) for number in range(count))))


def customers_shown(browser: Browser) -> list[str]:
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "#customers li")
    return [row.get_attribute("data-customer-id") or "" for row in rows]


def shows_a_page_of(browser: Browser, created: set[str], count: int) -> bool:
    """`count` rows shown, all of them customers made here (not the list before the search)."""
    shown = customers_shown(browser)
    return len(shown) == count and set(shown) <= created


@SCREENS
async def test_a_search_finds_the_new_customers_and_pages_on_with_the_cursor(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    tag = uuid.uuid4().hex[:10]
    created = await new_customers(gateway, tag, CUSTOMERS_PAGE + 1)
    driver = browser.driver
    base = open_page(system, browser, screen, "/customers")
    wait_for(driver, "#customers li")

    search = driver.find_element(By.ID, "customer-search")
    search.send_keys(tag, Keys.ENTER)
    wait_until(driver, lambda _: shows_a_page_of(browser, created, CUSTOMERS_PAGE))
    first_page = customers_shown(browser)
    driver.find_element(By.XPATH, "//button[normalize-space()='Show more customers']").click()
    wait_until(driver, lambda _: shows_a_page_of(browser, created, CUSTOMERS_PAGE + 1))
    shown = customers_shown(browser)
    assert set(shown) == created
    assert shown[:CUSTOMERS_PAGE] == first_page
    assert not driver.find_elements(By.XPATH, "//button[normalize-space()='Show more customers']")
    # The second page was asked with the cursor the first one gave, for the same search.
    searches = [parse_qs(urlsplit(url).query) for url in requested_urls(browser, base)
                if urlsplit(url).path == "/api/customers"]  # fmt: skip
    assert any(query.get("q") == [tag] and "cursor" in query for query in searches)
    # Each row leads to the customer's card.
    for customer_id in shown:
        row = f'#customers li[data-customer-id="{customer_id}"]'
        link = driver.find_element(By.CSS_SELECTOR, f"{row} a")
        assert urlsplit(link.get_attribute("href") or "").path == f"/customers/{customer_id}"

    # A stage filter narrows the same search: they were all made as new leads.
    Select(driver.find_element(By.ID, "customer-stage")).select_by_value("signed_up")
    wait_until(driver, lambda d: "No customer matches." in text_of(d, "main"))
    Select(driver.find_element(By.ID, "customer-stage")).select_by_value("lead")
    wait_until(driver, lambda _: shows_a_page_of(browser, created, CUSTOMERS_PAGE))

    assert_usable_and_answered(browser, base)


@SCREENS
async def test_a_signed_webhook_is_in_the_deliveries_log(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    scenario = Scenario(gateway, "demo")
    event_id = (await scenario.dm(hours_ago(0)))["event_id"]

    async def logged() -> list[str]:
        page = await gateway.get_json("/hooks/deliveries", "demo", connector="dm", limit=50)
        return [item["provider_id"] for item in page["items"]]

    assert event_id in await eventually_true(logged, lambda ids: event_id in ids)
    driver = browser.driver
    base = open_page(system, browser, screen, "/deliveries")
    row = f'#deliveries li[data-provider-id="{event_id}"]'
    # Newest first: the webhook just sent is on the first page, the more so filtered by provider.
    Select(driver.find_element(By.ID, "delivery-connector")).select_by_value("dm")
    Select(driver.find_element(By.ID, "delivery-outcome")).select_by_value("accepted")
    wait_for(driver, row)
    assert driver.find_element(By.CSS_SELECTOR, row).get_attribute("data-outcome") == "accepted"
    assert "DM webhook" in text_of(driver, row)
    link = driver.find_element(By.CSS_SELECTOR, f"{row} a")
    assert urlsplit(link.get_attribute("href") or "").path == f"/customers/{scenario.customer_id}"

    assert_usable_and_answered(browser, base)


@SCREENS
async def test_a_member_is_not_offered_the_settings(
    system: System, browser: Browser, screen: tuple[int, int]
) -> None:
    driver = browser.driver
    # Straight to the address, with the demo address's token: a member's.
    base = open_page(system, browser, screen, "/settings")
    wait_for(driver, "#admins-only")
    assert "Admins only" in text_of(driver, "#admins-only")
    assert not driver.find_elements(By.CSS_SELECTOR, "form.settings")
    titles = navigation_titles(driver)
    assert "Settings" not in titles
    assert {"Customers", "Deliveries"} <= set(titles)
    # The page asks the API nothing, so no refused request fills the network log.
    assert [url for url in requested_urls(browser, base) if "/api/" in url] == []
    assert_usable_and_answered(browser, base)
