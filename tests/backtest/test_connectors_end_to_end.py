"""The providers' own webhooks through the gateway, against the whole running system: a
prospect DMs on Instagram, books on Calendly through the booking link with an email the CRM
has never seen, and does not show; a WhatsApp conversation answered from the business app."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from crm_backtest.accounts import connector_ids
from crm_backtest.client import Gateway
from crm_backtest.provider_payloads import (
    calendly_invitee,
    meta_message,
    whatsapp_message,
    whatsapp_sent,
)
from crm_backtest.provider_sending import calendly_headers, meta_headers

from .e2e_support import Scenario, eventually_true, hours_ago
from .facts import D, H, M

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
ACCOUNT = "demo-tokyo"
IDS = connector_ids(ACCOUNT)
CALENDLY = "https://api.calendly.com"


async def post_meta(gateway: Gateway, body: dict[str, object]) -> dict[str, object]:
    secret = gateway.credentials.meta_app_secret
    assert secret is not None
    answer = await gateway.signed(
        "/hooks/meta", json.dumps(body).encode(), lambda raw: meta_headers(secret, raw)
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()["results"][0]
    return result


async def post_calendly(gateway: Gateway, body: dict[str, object]) -> dict[str, object]:
    key = gateway.credentials.calendly_signing_key
    assert key is not None
    answer = await gateway.signed(
        f"/hooks/calendly/{ACCOUNT}",
        json.dumps(body).encode(),
        lambda raw: calendly_headers(key, raw),
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()["results"][0]
    return result


async def booking_reference(s: Scenario) -> str:
    async def link() -> dict[str, object]:
        answer = await s.gateway.request(
            "GET",
            f"/customers/{s.customer_id}/booking-link",
            s.account,
            params={"url": "https://calendly.com/demo-tokyo/opportunity"},
        )
        # 404 until the customers service has taken the DM.
        return answer.json() if answer.status_code == 200 else {}

    found = await eventually_true(link, lambda body: "url" in body)
    [reference] = parse_qs(urlsplit(str(found["url"])).query)["utm_content"]
    return reference


async def test_dm_on_instagram_booked_on_calendly_with_a_new_email_then_a_no_show(
    gateway: Gateway,
) -> None:
    t = hours_ago(30 * 24)
    s = Scenario(gateway, ACCOUNT)
    sender = f"igsid-{uuid.uuid4().int % 10**16}"
    dm = meta_message("instagram", IDS["instagram_account_id"], sender, f"m_{s.new_id()}", t, "Hi!")
    s.customer_id = str((await post_meta(gateway, dm))["customer_id"])
    reference = await booking_reference(s)
    assert reference == f"crm-{s.customer_id}"
    scheduled = f"{CALENDLY}/scheduled_events/{uuid.uuid4().hex}"
    invitee = f"{scheduled}/invitees/{uuid.uuid4().hex}"
    email = f"{s.handle}.private@example.com"
    booked = calendly_invitee("invitee.created", t + H, scheduled, invitee, t + D, email, "Kari")
    booked["payload"]["tracking"]["utm_content"] = reference  # type: ignore[index]
    taken = await post_calendly(gateway, booked)
    assert (taken["outcome"], taken["customer_id"]) == ("accepted", s.customer_id)
    no_show_at = t + D + 15 * M
    missed = calendly_invitee(
        "invitee_no_show.created", no_show_at, scheduled, invitee, t + D, email, "Kari"
    )
    assert (await post_calendly(gateway, missed))["customer_id"] == s.customer_id
    customer = await eventually_true(
        s.customer, lambda c: c.get("booking", {}).get("state") == "no_show"
    )
    assert customer["booking"]["booking_id"] == scheduled
    reminders = await eventually_true(
        s.reminders,
        lambda found: (
            {("follow_up_2h", no_show_at + 2 * H, "open"), ("follow_up_1d", no_show_at + D, "open")}
            <= found
        ),
    )
    assert ("follow_up_2h", no_show_at + 2 * H, "open") in reminders


async def test_whatsapp_replies_count_in_speed_to_lead(gateway: Gateway) -> None:
    t = hours_ago(29 * 24)
    s = Scenario(gateway, ACCOUNT)
    before = await s.stats(t, t + D, t + D)
    wa_id = f"4791{uuid.uuid4().int % 10**6:06d}"
    phone_number_id = IDS["whatsapp_phone_number_id"]
    wamid = f"wamid.{uuid.uuid4().hex}"
    dm = whatsapp_message(phone_number_id, wa_id, "Ola", wamid, t, "Hei! Interessert")
    s.customer_id = str((await post_meta(gateway, dm))["customer_id"])
    reply = whatsapp_sent(phone_number_id, wa_id, f"wamid.{uuid.uuid4().hex}", t + 3 * M)
    assert (await post_meta(gateway, reply))["customer_id"] == s.customer_id
    after = await eventually_true(
        lambda: s.stats(t, t + D, t + D),
        lambda f: f["speed_to_lead.answered"] > before["speed_to_lead.answered"],
    )
    assert after["speed_to_lead.answered"] - before["speed_to_lead.answered"] == 1
    assert after["counts.dms_started"] - before["counts.dms_started"] == 1
    logged = await gateway.list_all("/events", s.account, customer_id=s.customer_id)
    assert sorted(item["event_name"] for item in logged if item.get("source") != "system") == [
        "DM_STARTED",
        "MESSAGE_SENT",
    ]
