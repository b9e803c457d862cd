"""The card stories replayed into a fake system and checked: zero mismatches when it is
faithful, a person's creations counted from when the system made them, a holder of a
corrected email sent only after the correction, and the faults such a system could have
reported with their contacts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from crm_backtest.generator import generate
from crm_backtest.history import History
from crm_backtest.report import Report
from crm_backtest.run import run_backtest

from .fake_people import FakeCrm
from .fake_system import CREDENTIALS

ANCHOR = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> History:
    return generate(300, seed=3, anchor=ANCHOR, kundekort=True)


async def backtest(history: History, fake: FakeCrm, catch_up_s: float = 5.0) -> Report:
    return await run_backtest(
        history, "http://gateway.test/api", CREDENTIALS, rate=20_000, catch_up_s=catch_up_s,
        console=Console(file=io.StringIO(), width=160), transport=fake.transport(),
    )  # fmt: skip


def check(report: Report, name: str) -> tuple[int, list[str | None]]:
    found = next(c for c in report.checks if c.name == name)
    return found.checked, [m.contact for m in found.mismatches]


async def test_a_faithful_system_shows_every_card_as_the_oracle_says(history: History) -> None:
    fake = FakeCrm(history.accounts)
    report = await backtest(history, fake)
    assert report.mismatches == 0, [c.mismatches[:2] for c in report.checks if c.mismatches]
    assert check(report, "card") == (len(history.contacts), [])
    # Settled from the customers list, as the pipeline state is: few cards read one by one.
    assert fake.card_reads < len(history.contacts)
    # The imports' follow_up_7d matched: their expectations took the times the fake made them.
    assert check(report, "reminders")[0] == len(history.contacts)
    # Every send waiting for a correction reached the system after it.
    first_send = {}
    for delivery in history.deliveries:
        first_send.setdefault(delivery.contact, delivery)
    position = {entry: i for i, entry in enumerate(fake.order)}
    waiting = [d for d in history.deliveries if d.waits_for and d.route != "person"]
    assert waiting
    for delivery in waiting:
        corrected = first_send[delivery.waits_for]
        customer = fake.seen[(corrected.account_id, corrected.event_id)][1]
        assert position[delivery.event_id] > position[f"put:{customer}"]


async def test_an_old_email_kept_on_the_corrected_customer_is_reported(history: History) -> None:
    fake = FakeCrm(history.accounts)
    fake.keep_old_identities = True
    report = await backtest(history, fake, catch_up_s=0.3)
    holders = {c.key for c in history.contacts if c.story == "holder"}
    imports_of_old = {d.contact for d in history.deliveries
                      if d.route == "person" and d.waits_for}  # fmt: skip
    _, cards = check(report, "card")
    _, answers = check(report, "ingest answers")
    assert holders
    assert holders <= set(cards)  # their events landed on the corrected customer's card
    assert imports_of_old
    assert imports_of_old <= set(answers)  # 409: the old email still held
    assert not report.ok


async def test_a_creation_stamped_outside_its_request_is_reported(history: History) -> None:
    fake = FakeCrm(history.accounts)
    fake.stamp_late = timedelta(minutes=5)
    report = await backtest(history, fake, catch_up_s=0.3)
    imports = {c.key for c in history.contacts if c.story == "import"}
    _, answers = check(report, "ingest answers")
    assert imports == set(answers) - {None}
    assert not report.ok
