"""The customer card (Kundekort) in a real browser against the running system: the next stage
asks for what the move needs (the Why, the meeting's time) and moves; a reminder completed on
the card leaves the dashboard's due list; an edited field persists and a refused one says why
beside it; interactions are added, edited and deleted; a reminder is added and snoozed; the
booking link is copied. The API agrees with what the card shows, at a phone's width and a
desktop's, every control labelled and no request answered 4xx or 5xx."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from crm_backtest.client import Gateway
from crm_backtest.clock import parse

from .browser import DESKTOP, PHONE, Browser
from .conftest import System
from .console_support import (
    answered_by_the_console,
    assert_usable_and_answered,
    failures,
    fill_in,
    find_in_due_reminders,
    open_card,
    press,
    text_of,
    unlabelled_controls,
    wait_for,
    wait_until,
)
from .e2e_support import SERVICES_INSTALLED, Scenario, eventually, eventually_true

pytestmark = [pytest.mark.e2e, SERVICES_INSTALLED]

ACCOUNT = "demo"


async def known_to_nba(gateway: Gateway, customer_id: str) -> None:
    """The card asks the nba service, which learns of a customer from the topic: waited for,
    so that the card's first read is not a 404."""

    async def status() -> int:
        path = f"/nba/customer/{customer_id}"
        return (await gateway.request("GET", path, ACCOUNT)).status_code

    assert await eventually(status, 200) == 200


async def new_customer(gateway: Gateway, **fields: Any) -> str:
    body = {"name": "Card E2E", "handles": {"ig": f"card{uuid.uuid4().hex[:12]}"}, **fields}
    response = await gateway.request("POST", "/customers", ACCOUNT, json=body)
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["id"]
    await known_to_nba(gateway, customer_id)
    return customer_id


async def card(gateway: Gateway, customer_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = await gateway.get_json(f"/customers/{customer_id}", ACCOUNT)
    return answer


async def wall_time_ahead(gateway: Gateway, hours: int) -> tuple[str, datetime]:
    """A datetime-local value this many whole hours ahead, in the account's time zone (the
    card's times are the account's), and the instant it means."""
    settings = await gateway.get_json("/settings", ACCOUNT)
    now = datetime.now(ZoneInfo(settings["time_zone"]))
    at = (now + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    return at.strftime("%Y-%m-%dT%H:%M"), at


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["375px", "1280px"])
async def test_next_stage_asks_for_the_why_and_the_meeting_time_then_moves(
    system: System, gateway: Gateway, browser: Browser, screen: tuple[int, int]
) -> None:
    driver = browser.driver
    customer_id = await new_customer(gateway, status="invited")
    base = open_card(system, browser, screen, customer_id)
    assert text_of(driver, "#stage") == "Invited"

    # Entering qualified needs the prospect's Why: asked before anything is sent. By keyboard:
    # the question takes the focus, and Tab reaches the move.
    driver.find_element(By.ID, "next-stage").send_keys(Keys.ENTER)
    wait_for(driver, "#next-why")
    assert not driver.find_elements(By.ID, "next-booking-time")
    asked = driver.switch_to.active_element
    assert asked.get_attribute("id") == "next-why"
    asked.send_keys("Time with the kids", Keys.TAB, Keys.ENTER)
    wait_until(driver, lambda d: text_of(d, "#stage") == "Qualified")
    moved = await card(gateway, customer_id)
    assert (moved["status"], moved["prospect_why"]) == ("qualified", "Time with the kids")

    # In the recruiting vocabulary the next term is Booked, which needs the meeting's time.
    Select(driver.find_element(By.ID, "vocabulary")).select_by_value("recruiting")
    wait_for(driver, '.stages[aria-label="The recruiting stages"]')
    press(driver, "Next stage")
    wait_for(driver, "#next-booking-time")
    assert not driver.find_elements(By.ID, "next-why")
    meeting, meeting_at = await wall_time_ahead(gateway, 72)
    fill_in(driver, "#next-booking-time", meeting)
    press(driver, "Move")
    wait_until(driver, lambda d: text_of(d, "#stage") == "Booked")
    booked = await card(gateway, customer_id)
    assert booked["booking"]["state"] == "booked"
    assert parse(booked["booking"]["time"]) == meeting_at
    wait_until(driver, lambda d: text_of(d, "#booking-state").startswith("Booked"))

    assert_usable_and_answered(browser, base)


async def test_a_reminder_completed_on_the_card_leaves_the_dashboards_due_list(
    system: System, gateway: Gateway, browser: Browser
) -> None:
    driver = browser.driver
    scenario = Scenario(gateway, ACCOUNT)
    await scenario.no_show_with_reminders_due()
    customer_id = scenario.customer_id
    assert customer_id is not None

    async def due() -> list[dict[str, Any]]:
        return await gateway.list_all("/reminders/due", ACCOUNT, customer_id=customer_id)

    reminders = await eventually_true(due, lambda items: len(items) == 2)
    assert len(reminders) == 2, reminders
    first, second = sorted(reminders, key=lambda item: item["scheduled_for"])
    await known_to_nba(gateway, customer_id)

    base = open_card(system, browser, PHONE, customer_id)
    row = f'#card-reminders li[data-reminder-id="{first["id"]}"]'
    wait_for(driver, row)
    press(driver.find_element(By.CSS_SELECTOR, row), "Complete: Follow up (2 hours)")
    wait_until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, row))
    completed = await gateway.get_json(f"/reminders/{first['id']}", ACCOUNT)
    assert completed["status"] == "completed"

    # The dashboard lists due reminders oldest first: once the later one shows, the completed
    # one would have shown before it.
    driver.get(f"{base}/")
    wait_until(driver, lambda d: find_in_due_reminders(d, second["id"]))
    gone = f'#reminders li[data-reminder-id="{first["id"]}"]'
    assert not driver.find_elements(By.CSS_SELECTOR, gone)
    # The dashboard's rows lead to the card.
    driver.find_element(
        By.CSS_SELECTOR, f'#reminders li[data-reminder-id="{second["id"]}"] a'
    ).click()
    wait_until(driver, lambda d: d.current_url == f"{base}/customers/{customer_id}")
    wait_for(driver, "#stage")
    assert_usable_and_answered(browser, base)


async def test_an_edited_field_persists_and_a_refused_one_says_why_beside_it(
    system: System, gateway: Gateway, browser: Browser
) -> None:
    driver = browser.driver
    customer_id = await new_customer(gateway, status="lead")
    base = open_card(system, browser, DESKTOP, customer_id)

    fill_in(driver, "#field-notes", "Prefers mornings")
    press(driver, "Save Notes")

    async def notes() -> str | None:
        return (await card(gateway, customer_id))["notes"]

    assert await eventually(notes, "Prefers mornings") == "Prefers mornings"
    driver.refresh()
    wait_for(driver, "#field-notes")
    assert driver.find_element(By.ID, "field-notes").get_attribute("value") == "Prefers mornings"

    # A value the API refuses: its problem's field error is shown beside that field.
    fill_in(driver, "#field-country", "Norway")
    press(driver, "Save Country (ISO code)")
    wait_until(driver, lambda d: "ISO 3166" in text_of(d, "#field-country-problem"))
    assert driver.find_element(By.ID, "field-country").get_attribute("aria-invalid") == "true"
    assert (await card(gateway, customer_id))["country"] is None
    refused = failures(answered_by_the_console(browser, base))
    assert [status for _, status in refused] == [422]
    assert refused[0][0].endswith(f"/api/customers/{customer_id}")
    assert unlabelled_controls(driver) == []


async def test_interactions_a_snoozed_reminder_and_the_booking_link(
    system: System, gateway: Gateway, browser: Browser
) -> None:
    driver = browser.driver
    customer_id = await new_customer(gateway, status="relationship")
    base = open_card(system, browser, PHONE, customer_id)

    async def logged() -> list[str | None]:
        items = await gateway.list_all(f"/interactions/customer/{customer_id}", ACCOUNT)
        return [item["content"] for item in items]

    # Added, edited, deleted: each shown, and each as the API has it.
    fill_in(driver, "#new-interaction-content", "Called, no answer")
    press(driver, "Add interaction")
    row = "#interactions li[data-interaction-id]"
    wait_until(driver, lambda d: "Called, no answer" in text_of(d, row))
    assert await logged() == ["Called, no answer"]
    interaction_id = driver.find_element(By.CSS_SELECTOR, row).get_attribute("data-interaction-id")
    press(driver, "Edit the note")
    fill_in(driver, f"#edit-{interaction_id}-content", "Called back, keen on Tuesday")
    press(driver, "Save interaction")
    wait_until(driver, lambda d: "keen on Tuesday" in text_of(d, row))
    assert await logged() == ["Called back, keen on Tuesday"]
    press(driver, "Delete the note")
    wait_until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, row))
    assert await logged() == []

    # A reminder of the person's own, then snoozed to a later time.
    fill_in(driver, "#new-reminder-message", "Ask about the video")
    press(driver, "Add reminder")
    mine = "#card-reminders li[data-reminder-id]"
    wait_until(driver, lambda d: any("Ask about the video" in li.text
                                     for li in d.find_elements(By.CSS_SELECTOR, mine)))  # fmt: skip
    reminder = next(
        li for li in driver.find_elements(By.CSS_SELECTOR, mine) if "Ask about the video" in li.text
    )
    reminder_id = reminder.get_attribute("data-reminder-id")
    later, wanted = await wall_time_ahead(gateway, 48)
    fill_in(driver, f"#snooze-{reminder_id}", later)
    press(reminder, "Snooze: Reminder")

    async def scheduled() -> str:
        answer = await gateway.get_json(f"/reminders/{reminder_id}", ACCOUNT)
        return str(answer["scheduled_for"])

    assert parse(await eventually_true(scheduled, lambda at: parse(at) == wanted)) == wanted
    due = f'#card-reminders li[data-reminder-id="{reminder_id}"] time'

    def shown_due(d: WebDriver) -> datetime:
        return parse(d.find_element(By.CSS_SELECTOR, due).get_attribute("datetime") or "")

    wait_until(driver, lambda d: shown_due(d) == wanted)

    # The booking link: copied, or (no clipboard in a headless browser) shown to copy.
    fill_in(driver, "#scheduling-url", "https://calendly.com/e2e/intro")
    press(driver, "Copy booking link")
    wait_for(driver, "#booking-link")
    assert text_of(driver, "#booking-link-copied") in (
        "Copied to the clipboard:",
        "Copy this link:",
    )
    link = await gateway.get_json(
        f"/customers/{customer_id}/booking-link", ACCOUNT, url="https://calendly.com/e2e/intro"
    )
    assert text_of(driver, "#booking-link") == link["url"]
    assert f"crm-{customer_id}" in link["url"]

    assert_usable_and_answered(browser, base)
