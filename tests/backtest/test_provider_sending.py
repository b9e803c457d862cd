"""Replaying the providers' own deliveries into the fake system: each signed its way, a booking
sent with the reference of the customer's booking link (asked again while customers does not
know the customer yet), and what the sender sees when a provider's secret is wrong."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rich.console import Console

from crm_backtest.client import Credentials
from crm_backtest.generator import generate
from crm_backtest.history import History
from crm_backtest.provider_routes import PROVIDER_ROUTES
from crm_backtest.provider_sending import with_reference
from crm_backtest.report import Report
from crm_backtest.run import run_backtest

from .fake_system import CREDENTIALS, FakeSystem

ANCHOR = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> History:
    return generate(200, seed=9, anchor=ANCHOR)


async def _backtest(
    history: History, fake: FakeSystem, credentials: Credentials = CREDENTIALS
) -> Report:
    return await run_backtest(
        history, "http://gateway.test/api", credentials, rate=20_000, catch_up_s=5.0,
        console=Console(file=io.StringIO(), width=160), transport=fake.transport(),
    )  # fmt: skip


def _sent_by(history: History, route: str) -> int:
    return sum(d.route == route for d in history.deliveries)


async def test_provider_deliveries_replayed_give_zero_mismatches(history: History) -> None:
    for route in PROVIDER_ROUTES:
        assert _sent_by(history, route) > 3, route
    fake = FakeSystem(history.accounts)
    fake.unknown_to_customers = 5
    report = await _backtest(history, fake)
    assert report.mismatches == 0, [c.mismatches[:2] for c in report.checks if c.mismatches]
    assert fake.unknown_to_customers == 0  # the 404s were asked through
    # One link per booking tool delivery, duplicates included.
    tools = _sent_by(history, "calendly") + _sent_by(history, "calcom")
    assert fake.booking_links == tools


async def test_a_wrong_meta_app_secret_is_a_refused_delivery_in_the_report(
    history: History,
) -> None:
    fake = FakeSystem(history.accounts)
    report = await _backtest(history, fake, replace(CREDENTIALS, meta_app_secret="not-it"))
    answers = next(check for check in report.checks if check.name == "ingest answers")
    refused = [m for m in answers.mismatches if m.actual["http"] == 401]
    assert len(refused) == _sent_by(history, "meta")
    assert {m.actual["status"] for m in refused} == {"rejected"}
    assert not report.ok


def test_calendly_carries_the_links_utm_content_and_calcom_its_metadata() -> None:
    link = "https://cal.com/acme/intro?utm_content=crm-abc&metadata%5Bcrm_ref%5D=crm-abc&x=1"
    calcom = {"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "u1", "metadata": {}}}
    assert with_reference(calcom, "calcom", link)["payload"]["metadata"] == {"crm_ref": "crm-abc"}
    assert calcom["payload"]["metadata"] == {}  # the stored body is left as it was
    no_show = {"triggerEvent": "BOOKING_NO_SHOW_UPDATED", "payload": {"bookingUid": "u1"}}
    assert with_reference(no_show, "calcom", link) == no_show
    calendly = {"event": "invitee.created", "payload": {"tracking": {"utm_content": None}}}
    filled = with_reference(calendly, "calendly", "https://calendly.com/a/b?utm_content=crm-xyz")
    assert filled["payload"]["tracking"]["utm_content"] == "crm-xyz"
