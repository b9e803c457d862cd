"""What the console's browser tests share: the browser, the dashboard opened as the printed
address signs in, and reading what the page shows and what the console's requests were answered."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from crm_backtest.client import Gateway

from .browser import Browser
from .conftest import System

WAIT_S = 60.0


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


def open_card(system: System, browser: Browser, screen: tuple[int, int], customer_id: str) -> str:
    """The customer's card at this screen's size, signed in by the demo address's token (a
    token in the fragment is taken on any page); answers the console's origin."""
    browser.show_at(*screen)
    base, fragment = demo_env(system)["CRM_CONSOLE"].split("#", 1)
    browser.driver.get(f"{base.rstrip('/')}/customers/{customer_id}#{fragment}")
    wait_for(browser.driver, "#stage")
    return console_base(base)


def fill_in(driver: WebDriver, css: str, value: str) -> None:
    """Set a control's value as typing does (an input event), whatever its kind: a
    datetime-local's keys depend on the browser's locale, its value does not."""
    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        element,
        value,
    )


def press(driver: WebDriver | WebElement, name: str) -> None:
    """The button whose accessible name (its label, else its text) is `name`."""
    for button in driver.find_elements(By.CSS_SELECTOR, "button"):
        if name in (button.get_attribute("aria-label"), button.text.strip()):
            button.click()
            return
    raise NoSuchElementException(f"no button named {name!r}")


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


def open_page(
    system: System, browser: Browser, screen: tuple[int, int], path: str, token: str | None = None
) -> str:
    """One of the console's pages at this screen's size, signed in by a token in the address's
    fragment (the demo address's, a member's, unless another is given); answers the console's
    origin."""
    browser.show_at(*screen)
    env = demo_env(system)
    base = console_base(env["CRM_CONSOLE"])
    browser.driver.get(f"{base}{path}#token={token or env['TOKEN']}")
    wait_for(browser.driver, "main h1")
    return base


def navigation_titles(driver: WebDriver) -> list[str]:
    return [link.text for link in driver.find_elements(By.CSS_SELECTOR, "nav a")]


def requested_urls(browser: Browser, base: str) -> list[str]:
    """Every request the console's page sent to its own origin, so far."""
    browser.collect()
    return [url for url, _ in browser.requests if url.startswith(base)]
