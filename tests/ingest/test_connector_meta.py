"""Meta's webhooks straight in (docs/connectors.md): the handshake, the signature on the raw
bytes, one delivery for many accounts judged item by item, and retries recognized."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from crm_schemas.catalog import EventName

from . import meta_deliveries as meta
from .connector_support import (
    ACME_IG,
    ACME_PAGE,
    BETA_PAGE,
    META_OLD_SECRET,
    META_SETTINGS,
    SOLO_META_SECRET,
    SOLO_PAGE,
    UNKNOWN_PAGE,
    VERIFY_TOKEN,
    post_meta,
)
from .support import T0, Ingest

AT = T0 - timedelta(minutes=1)


@pytest.fixture
async def ingest(start_ingest: Callable[..., Any]) -> AsyncIterator[Ingest]:
    async with start_ingest(**META_SETTINGS) as running:
        yield running


async def test_the_subscription_handshake_answers_the_challenge_only_to_our_token(
    ingest: Ingest,
) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": VERIFY_TOKEN,
    }
    answer = await ingest.client.get("/api/hooks/meta", params=query)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == "1158201444"
    wrong = await ingest.client.get("/api/hooks/meta", params={**query, "hub.verify_token": "x"})
    assert wrong.status_code == 403
    assert wrong.headers["content-type"] == "application/problem+json"


async def test_a_signature_that_does_not_match_publishes_nothing(ingest: Ingest) -> None:
    body = meta.delivery(meta.entry(ACME_PAGE, AT, meta.dm("p-1", ACME_PAGE, "m-sig-1", AT)))
    assert (await post_meta(ingest.client, body, secret="not-the-app-secret")).status_code == 401
    raw = meta.json_bytes(body)
    tampered = raw.replace(b"Hei!", b"Hoi!")
    signed_for_raw = meta.signature_header(raw)
    answer = await ingest.client.post(
        "/api/hooks/meta",
        content=tampered,
        headers={"content-type": "application/json", "x-hub-signature-256": signed_for_raw},
    )
    assert answer.status_code == 401
    missing = await ingest.client.post(
        "/api/hooks/meta", content=raw, headers={"content-type": "application/json"}
    )
    assert missing.status_code == 401
    assert await ingest.published() == []
    # The app secret being rotated out still signs.
    assert (await post_meta(ingest.client, body, secret=META_OLD_SECRET)).status_code == 200
    assert len(await ingest.published_with("meta:m-sig-1")) == 1


async def test_one_delivery_for_two_accounts_and_an_unknown_page_and_its_retry(
    ingest: Ingest,
) -> None:
    body = meta.delivery(
        meta.entry(ACME_PAGE, AT, meta.dm("psid-kari", ACME_PAGE, "m-acme-1", AT)),
        meta.entry(BETA_PAGE, AT, meta.dm("psid-ola", BETA_PAGE, "m-beta-1", AT)),
        meta.entry(UNKNOWN_PAGE, AT, meta.dm("psid-eve", UNKNOWN_PAGE, "m-nobody-1", AT)),
    )
    first = await post_meta(ingest.client, body)
    assert first.status_code == 200, first.text
    assert first.json()["outcomes"] == {"accepted": 2, "unowned": 1}
    acme = (await ingest.published_with("meta:m-acme-1"))[0].envelope
    beta = (await ingest.published_with("meta:m-beta-1"))[0].envelope
    assert (acme.account_id, acme.event_name, acme.source) == (
        "acme",
        EventName.DM_STARTED,
        "messenger",
    )
    assert acme.user_id == "psid-kari"
    assert acme.timestamp == meta.at_ms(AT)
    assert (beta.account_id, beta.user_id) == ("beta", "psid-ola")
    # Meta's retry of the same delivery: recognized by the message ids, nothing more published.
    again = await post_meta(ingest.client, body)
    assert again.status_code == 200
    assert again.json()["outcomes"] == {"duplicate": 2, "unowned": 1}
    published = await ingest.published()
    assert sorted(p.envelope.event_id for p in published) == ["meta:m-acme-1", "meta:m-beta-1"]


async def test_later_messages_echoes_and_reads_of_one_thread(ingest: Ingest) -> None:
    later = AT + timedelta(seconds=30)
    body = meta.delivery(
        meta.entry(
            ACME_IG,
            AT,
            meta.dm("igsid-kari", ACME_IG, "ig-1", AT),
            meta.dm("igsid-kari", ACME_IG, "ig-2", later),
            meta.echo(ACME_IG, "igsid-kari", "ig-3", later),
            meta.read("igsid-kari", ACME_IG, later),
        ),
        object_="instagram",
    )
    answer = await post_meta(ingest.client, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcomes"] == {"accepted": 3, "ignored": 1}
    first, second, echo = [
        (await ingest.published_with(f"meta:ig-{n}"))[0].envelope for n in (1, 2, 3)
    ]
    assert first.event_name is EventName.DM_STARTED
    assert first.source == "ig"
    assert second.event_name is EventName.MESSAGE_RECEIVED
    # The echo is the marketer's reply, to the person: same customer, on the page's account.
    assert echo.event_name is EventName.MESSAGE_SENT
    assert echo.customer_id == first.customer_id == second.customer_id
    assert echo.account_id == "acme"


async def test_an_account_with_its_own_app_takes_only_what_its_secret_signed(
    ingest: Ingest,
) -> None:
    body = meta.delivery(meta.entry(SOLO_PAGE, AT, meta.dm("psid-solo", SOLO_PAGE, "m-solo", AT)))
    deployment_signed = await post_meta(ingest.client, body)
    assert deployment_signed.json()["outcomes"] == {"unowned": 1}
    own = await post_meta(ingest.client, body, secret=SOLO_META_SECRET)
    assert own.json()["outcomes"] == {"accepted": 1}
    assert (await ingest.published_with("meta:m-solo"))[0].envelope.account_id == "solo"
