"""POST /api/reminders naming another account's customer is 422 "unknown customer" and files
nothing in either account; texts with NUL or a lone surrogate, and NaN, are 422 naming the
field (sent as a client sends them: JSON escapes and literals)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import httpx

from .history import T0, D, event
from .kafka_io import eventually
from .service_support import RulesUnderTest

BASE = "/api/reminders"
UNKNOWN_CUSTOMER = [{"loc": ["body", "customer_id"], "msg": "unknown customer"}]


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def reminder(customer: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return {
        "customer_id": str(customer),
        "type": "custom",
        "scheduled_for": z(T0 + D),
        "message": "Call",
        **fields,
    }


async def post(rules: RulesUnderTest, body: Any, account: str = "acme") -> httpx.Response:
    return await rules.client.post(
        BASE,
        content=json.dumps(body).encode(),
        headers={**rules.headers(account), "content-type": "application/json"},
    )


async def test_another_accounts_customer_from_its_reminders_is_unknown(
    rules: RulesUnderTest,
) -> None:
    theirs = uuid.uuid4()
    made = await post(rules, reminder(theirs), account="other")
    assert made.status_code == 201, made.text
    refused = await post(rules, reminder(theirs))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == UNKNOWN_CUSTOMER
    assert await rules.reminders(theirs) == []
    assert [r["id"] for r in await rules.reminders(theirs, "other")] == [made.json()["id"]]
    # Only the other account's own reminder is announced, once its relay has sent it.
    announced = await eventually(lambda: rules.announced(theirs), lambda found: len(found) >= 1)
    assert [(e.account_id, e.event_name.value) for e in announced] == [
        ("other", "REMINDER_CREATED")
    ]


async def test_another_accounts_customer_from_its_events_is_unknown(
    rules: RulesUnderTest,
) -> None:
    theirs = uuid.uuid4()
    await rules.send([event("NO_SHOW", T0 - D, theirs, account="other")])
    filed = await rules.settled(theirs, lambda found: len(found) == 3, account="other")
    refused = await post(rules, reminder(theirs))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == UNKNOWN_CUSTOMER
    assert await rules.reminders(theirs) == []
    assert await rules.reminders(theirs, "other") == filed


async def test_an_id_no_account_has_shown_yet_is_taken(rules: RulesUnderTest) -> None:
    fresh = uuid.uuid4()
    made = await post(rules, reminder(fresh))
    assert made.status_code == 201, made.text
    again = await post(rules, reminder(fresh, message="Call again"))
    assert again.status_code == 201, again.text
    # Now it is this account's: the other account cannot name it.
    assert (await post(rules, reminder(fresh), account="other")).status_code == 422
    assert len(await rules.reminders(fresh)) == 2
    assert await rules.reminders(fresh, "other") == []


async def test_unstorable_texts_and_numbers_are_422_naming_the_field(
    rules: RulesUnderTest,
) -> None:
    customer = uuid.uuid4()
    cases: list[tuple[Any, list[Any]]] = [
        (reminder(customer, message="Call \x00 now"), ["body", "message"]),
        (reminder(customer, message="Call \ud800"), ["body", "message"]),
        (reminder(customer, message="\udfff"), ["body", "message"]),
        (reminder(customer, message=float("nan")), ["body", "message"]),
        ({**reminder(customer), "\ud800": "x"}, ["body"]),
    ]
    for body, loc in cases:
        answer = await post(rules, body)
        assert answer.status_code == 422, (loc, answer.text)
        assert [e["loc"] for e in answer.json()["errors"]] == [loc], answer.text
    made = await post(rules, reminder(customer))
    assert made.status_code == 201, made.text
    snoozed = await rules.client.post(
        f"{BASE}/{made.json()['id']}/snooze",
        content=b'{"until": Infinity}',
        headers={**rules.headers(), "content-type": "application/json"},
    )
    assert snoozed.status_code == 422, snoozed.text
    assert [e["loc"] for e in snoozed.json()["errors"]] == [["body", "until"]]
    assert [r["id"] for r in await rules.reminders(customer)] == [made.json()["id"]]
