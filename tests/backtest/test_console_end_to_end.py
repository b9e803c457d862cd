"""The web console in a real browser (headless Chromium) against the running system: signed in
by the address `make up` prints, it shows a new customer in "who next" and the ticker as the
webhook comes in, without a reload, at a phone's width and a desktop's; a no-show's reminder in
the due reminders, and the funnel, speed to lead and coaching prompts as the API answers them;
every request it made was answered without a 4xx or 5xx; the ticker loses no item while its
connection is down; a token the API refuses leads back to sign-in."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from crm_backtest.client import Gateway, monotonic
from crm_backtest.readings import poll
from crm_devstack import console_build
from crm_devstack.app_servers import Gateway as GatewayServer
from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_devstack.processes import crash_process
from crm_devstack.settings import HOST, StackConfig

from .browser import DESKTOP, PHONE, Browser, browser_binaries, open_browser
from .conftest import System
from .e2e_support import SERVICES_INSTALLED, Scenario, eventually_true, hours_ago

WAIT_S = 60.0
pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED]


@pytest.fixture(scope="module")
def binaries() -> tuple[str, str]:
    found = browser_binaries()
    # The gateway serves console/dist; `make install` builds it, and so does this, when stale.
    console_build.build_console(print)
    return found


@pytest.fixture
def browser(binaries: tuple[str, str]) -> Iterator[Browser]:
    yield from open_browser(*binaries)


def demo_env(system: System) -> dict[str, str]:
    lines = (system.state_dir / "demo.env").read_text().splitlines()
    return dict(line.removeprefix("export ").split("=", 1) for line in lines)


def console_base(address: str) -> str:
    """The console's origin, from its address signing in (`.../#token=...`)."""
    return address.split("#", 1)[0].rstrip("/")


def answered_by_the_console(browser: Browser, base: str) -> list[tuple[str, int]]:
    """Every response to a request of the console's own origin, so far."""
    return [(url, status) for url, status in browser.collect_responses() if url.startswith(base)]


def failures(answered: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(url, status) for url, status in answered if status >= 400]


def wait_until(driver: WebDriver, condition: Callable[[WebDriver], object]) -> None:
    """Poll until `condition` holds; an element replaced while it was read (the page renders
    on) or not there yet is read again at the next poll."""
    ignored = (StaleElementReferenceException, NoSuchElementException)
    WebDriverWait(driver, WAIT_S, ignored_exceptions=ignored).until(condition)


def wait_for(driver: WebDriver, css: str) -> None:
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, css))


def text_of(driver: WebDriver | WebElement, css: str) -> str:
    text: str = driver.find_element(By.CSS_SELECTOR, css).text
    return text


def find_in_who_next(driver: WebDriver, customer_id: str) -> bool:
    """The customer's row, asking for more of the list while there is more (an account used by
    other tests may have many customers before a new lead)."""
    if driver.find_elements(By.CSS_SELECTOR, f'#who-next li[data-customer-id="{customer_id}"]'):
        return True
    with contextlib.suppress(NoSuchElementException):
        driver.find_element(By.XPATH, "//button[normalize-space()='Show more']").click()
    return False


def find_in_due_reminders(driver: WebDriver, reminder_id: str) -> bool:
    """The reminder's row, asking for more of the list while there is more, as for who next."""
    if driver.find_elements(By.CSS_SELECTOR, f'#reminders li[data-reminder-id="{reminder_id}"]'):
        return True
    with contextlib.suppress(NoSuchElementException):
        driver.find_element(By.XPATH, "//button[normalize-space()='Show more reminders']").click()
    return False


FUNNEL_STEPS = ("cohort", "qualified", "booked", "held", "signed_up")
SPEED_COUNTS = ("answered", "unanswered")


def week_panels_shown(driver: WebDriver) -> dict[str, object]:
    """The funnel's bars' counts, speed to lead's counts and the coaching prompts, as shown."""
    bars = driver.find_elements(By.CSS_SELECTOR, "#funnel li")
    funnel = {bar.get_attribute("data-step"): int(text_of(bar, ".count")) for bar in bars}
    speed = {name: int(text_of(driver, f'#speed-to-lead [data-figure="{name}"] dd'))
             for name in SPEED_COUNTS}  # fmt: skip
    prompts = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#coaching li")]
    return {"funnel": funnel, "speed": speed, "coaching": prompts}


async def week_panels_answered(gateway: Gateway) -> dict[str, object]:
    """The same, as the API answers them."""
    week = await gateway.get_json("/customers/stats", "demo", period="week")
    coaching = await gateway.get_json("/coaching", "demo")
    return {
        "funnel": {step: week["funnel"][step] for step in FUNNEL_STEPS},
        "speed": {name: week["speed_to_lead"][name] for name in SPEED_COUNTS},
        "coaching": [prompt["text"] for prompt in coaching["items"]],
    }


def figure_today(driver: WebDriver, name: str) -> int:
    cell = driver.find_element(By.CSS_SELECTOR, f'#figures tr[data-figure="{name}"] td')
    return int(cell.text)


def unlabelled_controls(driver: WebDriver) -> list[str]:
    """Form controls without a label and buttons or links without a name."""
    found: list[str] = driver.execute_script(
        """
        const named = (el) => (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
            || el.getAttribute('aria-labelledby');
        const missing = [];
        for (const el of document.querySelectorAll('input, textarea, select, progress'))
            if (!named(el)) missing.push(el.outerHTML.slice(0, 80));
        for (const el of document.querySelectorAll('button, a[href]'))
            if (!el.textContent.trim() && !el.getAttribute('aria-label'))
                missing.push(el.outerHTML.slice(0, 80));
        return missing;
        """
    )
    return found


def wider_than_the_screen(driver: WebDriver) -> bool:
    width: bool = driver.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    return width


def open_dashboard(system: System, browser: Browser, screen: tuple[int, int]) -> str:
    """The dashboard at this screen's size, signed in by the demo address, its ticker live;
    answers the console's origin."""
    browser.show_at(*screen)
    console = demo_env(system)["CRM_CONSOLE"]
    browser.driver.get(console)
    wait_for(browser.driver, "#ticker-connection.live")
    return console_base(console)


def assert_usable_and_answered(browser: Browser, base: str) -> list[tuple[str, int]]:
    """Every control labelled, no sideways scrolling, and no request answered 4xx or 5xx;
    answers what the console's origin answered."""
    assert unlabelled_controls(browser.driver) == []
    assert not wider_than_the_screen(browser.driver)
    answered = answered_by_the_console(browser, base)
    assert failures(answered) == []
    return answered


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


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["375px", "1280px"])
async def test_the_panels_hold_the_reminders_due_the_funnel_speed_to_lead_and_coaching(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    driver = browser.driver
    base = open_dashboard(system, browser, screen)

    # A lead a day and more ago who did not show: the no-show's reminders are due by now.
    scenario = Scenario(gateway, "demo")
    await scenario.dm(hours_ago(30))
    await scenario.event("NO_SHOW", hours_ago(27))

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
