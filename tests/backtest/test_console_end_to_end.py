"""The web console in a real browser (headless Chromium) against the running system: signed in
by the address `make up` prints, it shows a new customer in "who next" and the ticker as the
webhook comes in, without a reload, at a phone's width and a desktop's; every request it made
was answered without a 4xx or 5xx; the ticker loses no item while its connection is down; a
token the API refuses leads back to sign-in. The panels' contents:
test_console_panels_end_to_end.py."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from crm_backtest.client import Gateway, monotonic
from crm_backtest.readings import poll
from crm_devstack.app_servers import Gateway as GatewayServer
from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_devstack.processes import crash_process
from crm_devstack.settings import HOST, StackConfig

from .browser import DESKTOP, PHONE, Browser
from .conftest import System
from .console_support import (
    WAIT_S,
    answered_by_the_console,
    assert_usable_and_answered,
    console_base,
    demo_env,
    failures,
    figure_today,
    find_in_who_next,
    open_dashboard,
    text_of,
    wait_for,
    wait_until,
)
from .e2e_support import SERVICES_INSTALLED, Scenario, hours_ago

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED]


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["375px", "1280px"])
async def test_a_dm_shows_in_who_next_and_the_ticker_without_a_reload(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    driver = browser.driver
    base = open_dashboard(system, browser, screen)
    wait_for(driver, "#figures")
    # The token is kept for the tab and taken out of the address.
    assert "#token=" not in driver.current_url
    driver.execute_script("window.stillTheSamePage = true")
    dms_before = figure_today(driver, "dms_started")

    scenario = Scenario(gateway, "demo")
    await scenario.dm(hours_ago(0))
    customer_id = scenario.customer_id
    assert customer_id is not None

    wait_for(driver, f'#ticker li[data-customer-id="{customer_id}"]')
    wait_until(driver, lambda d: find_in_who_next(d, customer_id))
    row = f'#who-next li[data-customer-id="{customer_id}"]'
    wait_until(driver, lambda d: "E2E Prospect" in text_of(d, row))
    # The figures follow too: the DM started a conversation today.
    wait_until(driver, lambda d: figure_today(d, "dms_started") > dms_before)
    assert driver.execute_script("return window.stillTheSamePage") is True

    answered = assert_usable_and_answered(browser, base)
    assert any("/api/ticker/stream" in url for url, _ in answered)


def service_api(service: str) -> str:
    """A service's own /api, past the gateway."""
    return f"http://{HOST}:{SERVICE_PORTS[service]}/api"


async def test_the_ticker_misses_nothing_while_its_connection_is_down(
    system: System, gateway: Gateway, browser: Browser
) -> None:
    """The gateway crashes under an open ticker: the item made meanwhile is shown once the
    connection is back (EventSource reconnects by itself, sending the Last-Event-ID it had),
    and the page was never reloaded."""
    driver = browser.driver
    console = demo_env(system)["CRM_CONSOLE"]
    base = console_base(console)
    driver.get(console)
    wait_for(driver, "#ticker-connection.live")
    driver.execute_script("window.stillTheSamePage = true")
    # An item over the stream first, so that the stream has an id to resume after.
    before = Scenario(gateway, "demo")
    await before.dm(hours_ago(0))
    wait_for(driver, f'#ticker li[data-customer-id="{before.customer_id}"]')
    nginx = GatewayServer(StackConfig.from_env())
    process = nginx.running()
    assert process is not None, "the gateway is not running"
    try:
        crash_process(process)
        wait_for(driver, "#ticker-connection.reconnecting")
        # The webhook and the check that its item is out go straight to the services.
        async with (
            Gateway(service_api("ingest"), system.credentials) as ingest,
            Gateway(service_api("stats"), system.credentials) as stats,
        ):
            scenario = Scenario(ingest, "demo")
            await scenario.dm(hours_ago(0))
            customer_id = scenario.customer_id

            async def ticker() -> list[str | None]:
                answer = await stats.request("GET", "/ticker", "demo", params={"limit": 50})
                return [item["customer_id"] for item in answer.json()["items"]]

            _, seen = await poll(ticker, lambda ids: customer_id in ids, monotonic() + WAIT_S)
            assert seen is not None, "the ticker item was not made while the gateway was down"
    finally:
        await nginx.ensure_running()
    wait_for(driver, f'#ticker li[data-customer-id="{customer_id}"]')
    wait_for(driver, "#ticker-connection.live")
    assert driver.execute_script("return window.stillTheSamePage") is True
    assert failures(answered_by_the_console(browser, base)) == []


async def test_sign_in_by_keyboard_and_back_to_it_when_the_token_is_refused(
    system: System, browser: Browser
) -> None:
    driver = browser.driver
    browser.show_at(*PHONE)
    env = demo_env(system)
    base = console_base(env["CRM_CONSOLE"])
    driver.get(f"{base}/customers/some-page-to-come")  # any path outside /api is the console
    wait_for(driver, "textarea#token")
    token_box = driver.find_element(By.ID, "token")
    token_box.send_keys(env["TOKEN"])
    token_box.send_keys(Keys.TAB, Keys.ENTER)  # to the Sign in button, and press it
    wait_until(driver, lambda d: text_of(d, "main h1") == "No such page")
    answered = answered_by_the_console(browser, base)
    assert answered, "the browser's network log holds no response"
    assert failures(answered) == []

    # A token the API no longer accepts: the next answer is a 401, and sign-in is shown again.
    driver.execute_script("sessionStorage.setItem('crm.token', 'not-a-token')")
    driver.get(f"{base}/")
    wait_for(driver, "textarea#token")
    assert driver.execute_script("return sessionStorage.getItem('crm.token')") is None
